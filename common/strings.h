#pragma once

// String helpers over std::string_view. Debian 12's abseil is built with its own
// absl::string_view (not an alias of std::string_view), so absl::StrCat and
// friends do not accept std::string_view; these do.

#include <charconv>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"

namespace nanoplane {
namespace strings_internal {

inline void Append(std::string& out, std::string_view piece) { out.append(piece); }
inline void Append(std::string& out, const char* piece) { out.append(piece); }
inline void Append(std::string& out, const std::string& piece) { out.append(piece); }
inline void Append(std::string& out, absl::string_view piece) {
  out.append(piece.data(), piece.size());
}
inline void Append(std::string& out, char c) { out.push_back(c); }
inline void Append(std::string& out, bool value) { out.append(value ? "true" : "false"); }

template <std::integral T>
requires(!std::same_as<T, char> && !std::same_as<T, bool>) void Append(std::string& out, T value) {
  char buffer[24];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, result.ptr);
}

}  // namespace strings_internal

template <typename... Pieces>
void StrAppend(std::string* out, const Pieces&... pieces) {
  (strings_internal::Append(*out, pieces), ...);
}

template <typename... Pieces>
std::string StrCat(const Pieces&... pieces) {
  std::string out;
  StrAppend(&out, pieces...);
  return out;
}

template <typename Range>
std::string StrJoin(const Range& items, std::string_view separator) {
  std::string out;
  bool first = true;
  for (const auto& item : items) {
    if (!first) {
      out.append(separator);
    }
    first = false;
    strings_internal::Append(out, item);
  }
  return out;
}

// Splits on every `separator`; "a//b" gives {"a", "", "b"}.
std::vector<std::string_view> StrSplit(std::string_view text, char separator);

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or
// code points above U+10FFFF).
bool IsValidUtf8(std::string_view text);

// The whole of `text` as a decimal integer, or nullopt.
std::optional<int64_t> ParseInt64(std::string_view text);

}  // namespace nanoplane
