#include "common/quantity.h"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>

#include "common/strings.h"

namespace nanoplane {
namespace {

struct Suffix {
  std::string_view text;
  int64_t multiplier;
};

constexpr int64_t kKi = 1024;
constexpr std::array<Suffix, 12> kSuffixes = {{
    {"Ki", kKi},
    {"Mi", kKi* kKi},
    {"Gi", kKi* kKi* kKi},
    {"Ti", kKi* kKi* kKi* kKi},
    {"Pi", kKi* kKi* kKi* kKi* kKi},
    {"Ei", kKi* kKi* kKi* kKi* kKi* kKi},
    {"k", 1000LL},
    {"M", 1000LL * 1000},
    {"G", 1000LL * 1000 * 1000},
    {"T", 1000LL * 1000 * 1000 * 1000},
    {"P", 1000LL * 1000 * 1000 * 1000 * 1000},
    {"E", 1000LL * 1000 * 1000 * 1000 * 1000 * 1000},
}};

absl::Status NotAQuantity(std::string_view text) {
  return absl::InvalidArgumentError(
      StrCat("\"", text, "\" is not a quantity (expected e.g. 256Mi, 1Gi, 512M)"));
}

bool IsDigits(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<int64_t> ParseQuantity(std::string_view text) {
  std::string_view number = text;
  int64_t multiplier = 1;
  for (const Suffix& suffix : kSuffixes) {
    if (number.size() > suffix.text.size() && number.ends_with(suffix.text)) {
      // "1Mi" must not be read as "1M" + "i": binary suffixes come first in the table.
      number.remove_suffix(suffix.text.size());
      multiplier = suffix.multiplier;
      break;
    }
  }
  std::string_view whole = number;
  std::string_view fraction;
  if (size_t dot = number.find('.'); dot != std::string_view::npos) {
    whole = number.substr(0, dot);
    fraction = number.substr(dot + 1);
    if (!IsDigits(fraction)) {
      return NotAQuantity(text);
    }
  }
  if (!IsDigits(whole) || whole.size() > 19) {
    return NotAQuantity(text);
  }
  uint64_t whole_value = 0;
  auto parsed = std::from_chars(whole.data(), whole.data() + whole.size(), whole_value);
  if (parsed.ec != std::errc() ||
      whole_value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / multiplier)) {
    return absl::InvalidArgumentError(StrCat("\"", text, "\" is too large"));
  }
  int64_t bytes = static_cast<int64_t>(whole_value) * multiplier;
  // The fraction, digit by digit, exactly: 1.5Gi is whole, 1.5 is not.
  __int128 remainder_num = 0;
  __int128 remainder_den = 1;
  for (char c : fraction.substr(0, 18)) {
    remainder_num = remainder_num * 10 + (c - '0');
    remainder_den *= 10;
  }
  if (fraction.size() > 18 &&
      fraction.substr(18).find_first_not_of('0') != std::string_view::npos) {
    return absl::InvalidArgumentError(StrCat("\"", text, "\" is not a whole number of bytes"));
  }
  __int128 scaled = remainder_num * multiplier;
  if (scaled % remainder_den != 0) {
    return absl::InvalidArgumentError(StrCat("\"", text, "\" is not a whole number of bytes"));
  }
  __int128 total = static_cast<__int128>(bytes) + scaled / remainder_den;
  if (total > std::numeric_limits<int64_t>::max()) {
    return absl::InvalidArgumentError(StrCat("\"", text, "\" is too large"));
  }
  return static_cast<int64_t>(total);
}

std::string FormatQuantity(int64_t bytes) {
  if (bytes == 0) {
    return "0";
  }
  // Binary suffixes first (memory is sized in them), each group largest first.
  for (size_t group : {0, 6}) {
    for (size_t i = group + 6; i-- > group;) {
      if (bytes % kSuffixes[i].multiplier == 0) {
        return StrCat(bytes / kSuffixes[i].multiplier, kSuffixes[i].text);
      }
    }
  }
  return StrCat(bytes);
}

int64_t ScaledValue(int64_t value, bool is_percent, int64_t total, bool round_up) {
  if (!is_percent) {
    return value;
  }
  int64_t product = value * total;
  return round_up ? (product + 99) / 100 : product / 100;
}

}  // namespace nanoplane
