#pragma once

// RootFs: read-only path lookups inside a host directory that stands for
// the image's "/" (the host's own root by default, a fixture tree in tests).
// Symlinks are followed the way the kernel follows them, but inside the
// root, and every link passed on the way is reported so the image can keep
// it as a link. Thread-compatible; holds no open files.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace nanoplane::image {

struct Symlink {
  std::string path;    // absolute path of the link inside the root
  std::string target;  // its contents, verbatim (relative or absolute)

  bool operator==(const Symlink&) const = default;
};

struct ResolvedPath {
  std::string real_path;       // absolute, no symlink, "." or ".." left
  std::vector<Symlink> links;  // the links followed, in order
  bool regular_file = false;   // real_path is a regular file
};

class RootFs {
 public:
  // `root` is a host directory; "" or "/" means the host's own root.
  explicit RootFs(std::string root);

  // The host path of the absolute in-root `path`.
  std::string HostPath(std::string_view path) const;

  // Follows every symlink in the absolute in-root `path`.
  // NotFound when a component is missing or not a directory, InvalidArgument
  // for a symlink loop, other errno-derived codes for I/O errors.
  [[nodiscard]] absl::StatusOr<ResolvedPath> Resolve(std::string_view path) const;

  // Up to `length` bytes from the start of the file at the in-root path.
  [[nodiscard]] absl::StatusOr<std::string> ReadPrefix(std::string_view path, size_t length) const;

 private:
  std::string root_;  // no trailing slash; empty for the host root
};

// "/a/b" for ("/a", "b"); collapses the slash between the parts.
std::string JoinPath(std::string_view dir, std::string_view name);

// "/a" for "/a/b", "/" for "/a".
std::string DirName(std::string_view path);

}  // namespace nanoplane::image
