#pragma once

// The image builder: plans an image, keys it by the sha256 of everything in it,
// and writes the bootable disk into the image cache unless it is there already.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "agent/image/builder/build_request.h"
#include "agent/image/builder/file_digests.h"
#include "agent/image/cache/image_cache.h"
#include "agent/image/release/release_store.h"

namespace nanoplane::image {

struct BuiltImage {
  std::string path;  // in the cache; boot from a copy or an overlay: booting writes the disk
  std::string key;
  bool cache_hit = false;
  size_t files = 0;
  uint64_t bytes = 0;  // the disk's size
  NanosRelease release;
};

// Thread-safe: builds of different images run in parallel; one image is built once.
class ImageBuilder {
 public:
  ImageBuilder(ReleaseStore& releases, ImageCache& cache) : releases_(releases), cache_(cache) {}

  [[nodiscard]] absl::StatusOr<BuiltImage> Build(const BuildRequest& request);

  // The manifest the image would carry, in Nanos's textual syntax.
  [[nodiscard]] absl::StatusOr<std::string> Manifest(const BuildRequest& request);

 private:
  ReleaseStore& releases_;
  ImageCache& cache_;
  FileDigests digests_;
};

}  // namespace nanoplane::image
