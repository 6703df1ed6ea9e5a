#include "agent/app/console_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "common/strings.h"

namespace nanoplane::agent::app {
namespace {

namespace fs = std::filesystem;

// Size of `path`, or -1 when it does not exist.
int64_t SizeOf(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
}

// Sends [from, end of file) of `path`; the offset reached, or -1 when the sink
// is gone.
int64_t SendFrom(const std::string& path, int64_t from, LogSink& sink,
                 const ConsoleLogOptions& options) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return from;
  }
  std::string buffer(options.chunk_bytes, '\0');
  int64_t offset = from;
  while (true) {
    ssize_t n = ::pread(fd, buffer.data(), buffer.size(), offset);
    if (n <= 0) {
      break;
    }
    if (!sink.Send(std::string_view(buffer.data(), static_cast<size_t>(n)), offset)) {
      offset = -1;
      break;
    }
    offset += n;
  }
  ::close(fd);
  return offset;
}

}  // namespace

bool RotateConsoleLog(const std::string& path, int64_t max_bytes) {
  if (SizeOf(path) <= max_bytes) {
    return false;
  }
  std::error_code ec;
  const std::string rotated = StrCat(path, ".1");
  const std::string temp = StrCat(path, ".1.tmp");
  fs::copy_file(path, temp, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    return false;
  }
  fs::rename(temp, rotated, ec);
  // Truncate in place: QEMU keeps writing (O_APPEND) into this very file.
  return !ec && ::truncate(path.c_str(), 0) == 0;
}

void ServeConsoleLog(const std::string& path, int64_t offset, bool follow, LogSink& sink,
                     const std::function<bool()>& stopping, const ConsoleLogOptions& options) {
  int64_t size = SizeOf(path);
  if (size < 0 && !follow) {
    sink.End(StrCat("no console log at ", path));
    return;
  }
  int64_t position = offset < 0 ? std::max<int64_t>(0, size + offset) : offset;
  if (size >= 0) {
    position = std::min(position, size);
  }
  while (!sink.cancelled() && !stopping()) {
    size = SizeOf(path);
    if (size >= 0 && size < position) {
      // Rotated under us: the rest of the old file is in NAME.log.1.
      if (SendFrom(StrCat(path, ".1"), position, sink, options) < 0) {
        return;
      }
      position = 0;
    }
    position = SendFrom(path, position, sink, options);
    if (position < 0) {
      return;
    }
    if (!follow) {
      break;
    }
    absl::SleepFor(options.poll);
  }
  if (!sink.cancelled()) {
    sink.End();
  }
}

}  // namespace nanoplane::agent::app
