#include "common/file_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

#include "common/files.h"
#include "common/strings.h"

namespace nanoplane {
namespace {

absl::StatusOr<int> Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(StrCat("open lock file ", path, ": ", strerror(errno)));
  }
  return fd;
}

}  // namespace

absl::StatusOr<FileLock> FileLock::Acquire(const std::string& path) {
  absl::StatusOr<int> fd = Open(path);
  if (!fd.ok()) {
    return fd.status();
  }
  while (::flock(*fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      const int error = errno;
      ::close(*fd);
      return absl::InternalError(StrCat("lock ", path, ": ", strerror(error)));
    }
  }
  return FileLock(*fd);
}

absl::StatusOr<FileLock> FileLock::TryAcquire(const std::string& path, const std::string& what) {
  absl::StatusOr<int> fd = Open(path);
  if (!fd.ok()) {
    return fd.status();
  }
  if (::flock(*fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(*fd);
    std::string holder = ReadFileToString(path).value_or("");
    holder = holder.substr(0, holder.find_first_of("\n"));
    return absl::FailedPreconditionError(StrCat(what, " is in use by another process",
                                                holder.empty() ? "" : StrCat(" (pid ", holder, ")"),
                                                "; lock file ", path));
  }
  const std::string pid = StrCat(::getpid(), "\n");
  if (::ftruncate(*fd, 0) != 0 || ::pwrite(*fd, pid.data(), pid.size(), 0) < 0) {
    // The lock holds without the pid; only the message of a rival suffers.
  }
  return FileLock(*fd);
}

absl::StatusOr<std::unique_ptr<FileLock>> FileLock::ForDirectory(const std::string& dir,
                                                                 const std::string& lock_name,
                                                                 const std::string& what) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  absl::StatusOr<FileLock> lock =
      TryAcquire(StrCat(dir, "/", lock_name), StrCat("the ", what, " ", dir));
  if (!lock.ok()) {
    return lock.status();
  }
  return std::make_unique<FileLock>(*std::move(lock));
}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) {
    ::close(fd_);  // releases the lock
  }
}

}  // namespace nanoplane
