#include "common/sha256.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "common/status.h"
#include "common/strings.h"

namespace nanoplane {

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  NP_CHECK(context_ != nullptr);
  NP_CHECK(EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(context_), EVP_sha256(), nullptr) == 1);
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(context_)); }

void Sha256::Update(std::string_view bytes) {
  NP_CHECK(EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(context_), bytes.data(), bytes.size()) == 1);
}

std::string Sha256::HexDigest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  NP_CHECK(EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(context_), digest, &length) == 1);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

std::string Sha256Hex(std::string_view bytes) {
  Sha256 hasher;
  hasher.Update(bytes);
  return hasher.HexDigest();
}

absl::StatusOr<std::string> Sha256OfFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::string message = StrCat(path, ": ", std::strerror(errno));
    return errno == ENOENT ? absl::NotFoundError(message) : absl::InternalError(message);
  }
  Sha256 hasher;
  // One uninitialized buffer per thread: zeroing 1 MiB per file dominated
  // hashing a tree of small files.
  constexpr size_t kBufferSize = 1 << 20;
  thread_local std::unique_ptr<char[]> buffer(new char[kBufferSize]);
  while (true) {
    ssize_t n = ::read(fd, buffer.get(), kBufferSize);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      std::string message = StrCat(path, ": ", std::strerror(errno));
      ::close(fd);
      return absl::InternalError(message);
    }
    if (n == 0) {
      break;
    }
    hasher.Update(std::string_view(buffer.get(), static_cast<size_t>(n)));
  }
  ::close(fd);
  return hasher.HexDigest();
}

}  // namespace nanoplane
