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

// Levenshtein distance, case-insensitive: "Replicas" is a typo of "replicas".
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                  std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = 0;
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
