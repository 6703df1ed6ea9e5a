#include "agent/app/assignment_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/strings.h"

namespace nanoplane::agent::app {
namespace {

namespace fs = std::filesystem;

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::InternalError(StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status WriteAll(int fd, const std::string& bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return Errno("write", path);
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// The rename is durable only once the directory entry is on disk too.
void SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

absl::Status SaveAssignment(const std::string& path, const v1::Assignment& assignment) {
  std::string bytes;
  if (!assignment.SerializeToString(&bytes)) {
    return absl::InternalError("serialize assignment");
  }
  const fs::path target(path);
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  const std::string temp = StrCat(path, ".tmp.", ::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Errno("create", temp);
  }
  absl::Status status = WriteAll(fd, bytes, temp);
  if (status.ok() && ::fsync(fd) != 0) {
    status = Errno("fsync", temp);
  }
  ::close(fd);
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    status = Errno("rename to", path);
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  SyncDirectory(target.parent_path().string());
  return absl::OkStatus();
}

absl::StatusOr<std::optional<v1::Assignment>> LoadAssignment(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return std::optional<v1::Assignment>();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Errno("open", path);
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  v1::Assignment assignment;
  if (!assignment.ParseFromString(bytes.str())) {
    return absl::DataLossError(StrCat(path, ": not an assignment"));
  }
  return std::optional<v1::Assignment>(std::move(assignment));
}

}  // namespace nanoplane::agent::app
