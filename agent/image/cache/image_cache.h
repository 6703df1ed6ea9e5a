#pragma once

// The image cache: bootable images stored by the sha256 of everything that went
// into them, so a second build of the same inputs costs a lookup.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"

namespace nanoplane::image {

struct ImageCacheOptions {
  std::string dir;
  uint64_t max_bytes = 20ULL << 30;  // least recently used images go first beyond this
};

// Thread-safe. Several processes may share one directory: a build of one key
// happens once (a lock file per key), and an image appears whole or not at all
// (built under a temporary name, then renamed).
class ImageCache {
 public:
  explicit ImageCache(ImageCacheOptions options);

  struct Result {
    std::string path;
    bool hit = false;
  };

  // Writes an image to the path it is given; the cache renames it into place.
  using Builder = std::function<absl::Status(const std::string& temp_path)>;

  // The image for `key` (64 hex digits): the cached one, or the one `build`
  // makes. The builder's error is returned as is and nothing is kept. After a
  // build, images beyond the size limit are evicted, least recently used first,
  // except pinned ones and the new one.
  [[nodiscard]] absl::StatusOr<Result> GetOrBuild(const std::string& key, const Builder& build);

  // The path of a cached image, marked as used now; NotFound when absent.
  [[nodiscard]] absl::StatusOr<std::string> Lookup(const std::string& key);

  // Pinned images are never evicted: VMs boot from them. Counted: Pin twice,
  // Unpin twice.
  void Pin(const std::string& key);
  void Unpin(const std::string& key);

  // Removes least recently used, unpinned images until the total fits.
  void Evict(const std::string& keep = "");

  // Total bytes of cached images.
  uint64_t TotalBytes() const;

 private:
  std::string PathOf(const std::string& key) const;

  ImageCacheOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, int> pins_;  // guarded by mutex_
};

}  // namespace nanoplane::image
