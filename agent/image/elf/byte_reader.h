#pragma once

// Bounds-checked little-endian reads over an untrusted byte buffer. Every
// accessor returns std::nullopt instead of reading outside the buffer, so the
// parsers built on it cannot crash on truncated or hostile input.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

namespace nanoplane::image::internal {

class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}

  uint64_t size() const { return bytes_.size(); }

  // True when [offset, offset + length) lies inside the buffer; written so
  // that no addition can overflow.
  bool InRange(uint64_t offset, uint64_t length) const {
    return offset <= bytes_.size() && length <= bytes_.size() - offset;
  }

  // Reads an unsigned little-endian integer.
  template <typename T>
  std::optional<T> Read(uint64_t offset) const {
    static_assert(std::is_unsigned_v<T>);
    if (!InRange(offset, sizeof(T))) {
      return std::nullopt;
    }
    T value = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      value |= static_cast<T>(static_cast<uint8_t>(bytes_[offset + i])) << (8 * i);
    }
    return value;
  }

  std::optional<std::string_view> Slice(uint64_t offset, uint64_t length) const {
    if (!InRange(offset, length)) {
      return std::nullopt;
    }
    return bytes_.substr(offset, length);
  }

  // The NUL-terminated string starting at `offset`; the terminator must come
  // before `limit` (clamped to the buffer end).
  std::optional<std::string_view> CString(uint64_t offset, uint64_t limit) const {
    if (limit > bytes_.size()) {
      limit = bytes_.size();
    }
    if (offset >= limit) {
      return std::nullopt;
    }
    std::string_view rest = bytes_.substr(offset, limit - offset);
    size_t nul = rest.find('\0');
    if (nul == std::string_view::npos) {
      return std::nullopt;
    }
    return rest.substr(0, nul);
  }

 private:
  std::string_view bytes_;
};

}  // namespace nanoplane::image::internal
