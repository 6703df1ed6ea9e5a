#include "common/field_errors.h"

#include <algorithm>
#include <cctype>

#include "common/strings.h"

namespace nanoplane {

std::string ChildPath(std::string_view parent, std::string_view field) {
  if (parent.empty()) {
    return std::string(field);
  }
  return StrCat(parent, ".", field);
}

std::string IndexPath(std::string_view parent, size_t index) {
  return StrCat(parent, "[", index, "]");
}

std::string KeyPath(std::string_view parent, std::string_view key) {
  return StrCat(parent, "[", key, "]");
}

std::string FormatFieldError(const FieldError& error) {
  if (error.path.empty()) {
    return error.message;
  }
  return StrCat(error.path, ": ", error.message);
}

bool PathIsWithin(std::string_view path, std::string_view prefix) {
  if (!path.starts_with(prefix)) {
    return false;
  }
  if (path.size() == prefix.size() || prefix.empty()) {
    return true;
  }
  char next = path[prefix.size()];
  return next == '.' || next == '[';
}

namespace {

// Edit distance counting a swap of neighbours as one edit (optimal string
// alignment), case-insensitive: "nmae" and "Replicas" are one edit away.
size_t EditDistance(std::string_view a, std::string_view b) {
  auto same = [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  };
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) {
    d[i][0] = i;
  }
  for (size_t j = 0; j <= b.size(); ++j) {
    d[0][j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = same(a[i - 1], b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  if (word.size() > 64) {
    return "";  // no field name is that long; spare the quadratic work
  }
  std::string best;
  size_t best_distance = 0;
  for (const std::string& candidate : candidates) {
    if (word.size() >= 3 && candidate.starts_with(word)) {
      return candidate;  // an abbreviation: "proto" for "protocol"
    }
  }
  for (const std::string& candidate : candidates) {
    size_t distance = EditDistance(word, candidate);
    if (best.empty() || distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  // Close enough: at most a third of the word wrong (and at least one edit allowed).
  size_t allowed = std::max<size_t>(1, std::max(word.size(), best.size()) / 3);
  return (!best.empty() && best_distance <= allowed) ? best : std::string();
}

}  // namespace nanoplane
