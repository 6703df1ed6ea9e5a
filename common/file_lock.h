#pragma once

// Advisory locks between processes (flock on a lock file), held for the
// lifetime of the FileLock object. The kernel drops a lock when its holder
// dies, even by kill -9, so a stale lock file never blocks anyone.

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace nanoplane {

class FileLock {
 public:
  // Waits for the exclusive lock on `path` (created if needed). Internal when
  // the file cannot be opened.
  [[nodiscard]] static absl::StatusOr<FileLock> Acquire(const std::string& path);

  // Takes the lock on `path` if no one holds it, and writes this process's
  // pid into the file; FailedPrecondition naming `what` and the holder's pid
  // otherwise ("/data is in use by another controller (pid 42)").
  [[nodiscard]] static absl::StatusOr<FileLock> TryAcquire(const std::string& path,
                                                           const std::string& what);

  // TryAcquire of DIR/LOCK_NAME, creating DIR first: one process per
  // directory. `what` names the directory's role ("state directory").
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<FileLock>> ForDirectory(
      const std::string& dir, const std::string& lock_name, const std::string& what);

  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace nanoplane
