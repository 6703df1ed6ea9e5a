#pragma once

// SHA-256 digests as lower-case hex, for content addressing (artifacts, images,
// releases).

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace nanoplane {

// Incremental hashing. Not thread-safe.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view bytes);
  // The hex digest; the hasher must not be updated afterwards.
  std::string HexDigest();

 private:
  void* context_;  // EVP_MD_CTX, kept out of this header
};

std::string Sha256Hex(std::string_view bytes);

// The digest of a file's content. NotFound / Internal (with the path) on I/O errors.
[[nodiscard]] absl::StatusOr<std::string> Sha256OfFile(const std::string& path);

}  // namespace nanoplane
