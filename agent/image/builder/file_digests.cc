#include "agent/image/builder/file_digests.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "common/sha256.h"
#include "common/strings.h"

namespace nanoplane::image {

absl::StatusOr<std::string> FileDigests::Of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    std::string message = StrCat(path, ": ", std::strerror(errno));
    return errno == ENOENT ? absl::NotFoundError(message) : absl::InternalError(message);
  }
  StatKey key{st.st_dev,         st.st_ino,          static_cast<uint64_t>(st.st_size),
              st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_ctim.tv_sec,
              st.st_ctim.tv_nsec};
  {
    std::lock_guard<std::mutex> guard(mutex_);
    auto it = digests_.find(path);
    if (it != digests_.end() && it->second.first == key) {
      return it->second.second;
    }
  }
  auto digest = Sha256OfFile(path);
  if (!digest.ok()) {
    return digest.status();
  }
  std::lock_guard<std::mutex> guard(mutex_);
  digests_[path] = {key, *digest};
  return *digest;
}

}  // namespace nanoplane::image
