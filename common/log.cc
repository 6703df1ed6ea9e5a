#include "common/log.h"

#include <string>

#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace nanoplane {
namespace {

spdlog::logger& Logger() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = spdlog::stderr_color_mt("nanoplane");
    l->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
    return l;
  }();
  return *logger;
}

spdlog::level::level_enum ToSpdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

// Quotes a value when it would otherwise be ambiguous in key=value form.
std::string Quote(const std::string& value) {
  if (!value.empty() && value.find_first_of(" =\"\t\n") == std::string::npos) {
    return value;
  }
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += (c == '\n') ? ' ' : c;
  }
  return out + "\"";
}

}  // namespace

void Log(LogLevel level, std::string_view message, const LogFields& fields) {
  auto& logger = Logger();
  if (!logger.should_log(ToSpdlog(level))) {
    return;
  }
  std::string line(message);
  for (const auto& [key, value] : fields) {
    line += ' ';
    line += key;
    line += '=';
    line += Quote(value);
  }
  logger.log(ToSpdlog(level), line);
}

bool SetLogLevel(std::string_view name) {
  static const std::pair<std::string_view, LogLevel> kLevels[] = {{"debug", LogLevel::kDebug},
                                                                  {"info", LogLevel::kInfo},
                                                                  {"warn", LogLevel::kWarn},
                                                                  {"error", LogLevel::kError}};
  for (const auto& [level_name, level] : kLevels) {
    if (name == level_name) {
      Logger().set_level(ToSpdlog(level));
      return true;
    }
  }
  return false;
}

}  // namespace nanoplane
