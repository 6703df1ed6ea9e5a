#pragma once

// Problems found in an object, each at a field path such as
// spec.template.ports[0].port, collected so that every one is reported at once.

#include <string>
#include <string_view>
#include <vector>

namespace nanoplane {

struct FieldError {
  std::string path;     // spec.template.ports[0].port; empty for the whole document
  std::string message;  // 70000 is out of range 1-65535

  friend bool operator==(const FieldError&, const FieldError&) = default;
};

using FieldErrors = std::vector<FieldError>;

// Path building: ChildPath("spec", "replicas") is "spec.replicas",
// IndexPath("ports", 0) is "ports[0]", KeyPath("labels", "app") is "labels[app]".
std::string ChildPath(std::string_view parent, std::string_view field);
std::string IndexPath(std::string_view parent, size_t index);
std::string KeyPath(std::string_view parent, std::string_view key);

// "spec.replicas: must be >= 0", or just the message when the path is empty.
std::string FormatFieldError(const FieldError& error);

// True when `path` is `prefix` or lies below it (prefix.x, prefix[0]).
bool PathIsWithin(std::string_view path, std::string_view prefix);

// The closest of `candidates` to `word` when it is close enough to be a likely
// typo, else empty. For "did you mean" suggestions.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace nanoplane
