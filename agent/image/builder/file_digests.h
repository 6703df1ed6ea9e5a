#pragma once

// sha256 of host files, remembered by (device, inode, size, mtime, ctime) so a
// rebuild of unchanged inputs hashes nothing. Thread-safe.

#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "absl/status/statusor.h"

namespace nanoplane::image {

class FileDigests {
 public:
  // NotFound / Internal naming the path when it cannot be read.
  [[nodiscard]] absl::StatusOr<std::string> Of(const std::string& path);

 private:
  using StatKey = std::tuple<uint64_t, uint64_t, uint64_t, int64_t, int64_t, int64_t, int64_t>;
  std::mutex mutex_;
  std::map<std::string, std::pair<StatKey, std::string>> digests_;  // guarded by mutex_
};

}  // namespace nanoplane::image
