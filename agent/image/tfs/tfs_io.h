#pragma once

// Small I/O helpers shared by the TFS writer and reader: an owned file
// descriptor, full-length pread/pwrite, and a read-only byte source that is
// either a window of a file or a range of memory.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace nanoplane::image {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  ~UniqueFd();
  int get() const { return fd_; }
  int Release();

 private:
  int fd_ = -1;
};

// Errors name `what` (usually the path) and the errno text.
[[nodiscard]] absl::Status PreadFull(int fd, uint64_t offset, char* out, size_t n,
                                     std::string_view what);
[[nodiscard]] absl::Status PwriteFull(int fd, uint64_t offset, const char* data, size_t n,
                                      std::string_view what);
// Reads up to n bytes from the current position; returns the count (0 at EOF).
[[nodiscard]] absl::StatusOr<size_t> ReadSome(int fd, char* out, size_t n, std::string_view what);

// A bounded, random-access, read-only view of an image.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // InvalidArgument if [offset, offset+n) is outside the source.
  [[nodiscard]] virtual absl::Status ReadAt(uint64_t offset, char* out, size_t n) const = 0;
};

// `data` must outlive the source.
std::unique_ptr<ByteSource> MemoryByteSource(std::string_view data);
// The window [offset, offset+size) of the file; size 0 means "to the end".
// NotFound if the file does not exist; InvalidArgument if the window is
// outside the file.
[[nodiscard]] absl::StatusOr<std::unique_ptr<ByteSource>> FileByteSource(const std::string& path,
                                                                         uint64_t offset,
                                                                         uint64_t size);

}  // namespace nanoplane::image
