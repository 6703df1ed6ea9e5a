#pragma once

// The log facade (Debian 12's abseil has no absl/log). Every line carries
// key/values: Log(Level::kInfo, "start instance", {{"instance", name}, {"host", h}}).
// info: one line per action executed; debug: decisions; error: a person must act.
// Thread-safe.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nanoplane {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

using LogFields = std::vector<std::pair<std::string_view, std::string>>;

void Log(LogLevel level, std::string_view message, const LogFields& fields = {});

// "debug", "info", "warn" or "error"; false when `name` is none of them.
bool SetLogLevel(std::string_view name);

}  // namespace nanoplane
