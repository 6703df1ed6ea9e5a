#pragma once

// ops packages: a directory (or a tarball of one) holding package.manifest, a
// JSON object with at least "Program" (and often "Args", "Env", "Version"), and
// sysroot/, a tree merged into the image's root.

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace nanoplane::image {

struct Package {
  std::string dir;      // holds package.manifest
  std::string name;     // the directory's name, e.g. python_3.11
  std::string program;  // "Program" as the manifest says it
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::string version;

  std::string sysroot() const { return dir + "/sysroot"; }
};

// Reads an unpacked package. InvalidArgument naming the file and field when
// package.manifest is missing or malformed.
[[nodiscard]] absl::StatusOr<Package> ReadPackage(const std::string& dir);

// Unpacks a package tarball (safely: see archive/safe_extract.h) into
// `cache_dir`/<sha256 of the tarball>/, once, and returns the package directory
// inside it (the one holding package.manifest, at the top or one level down).
[[nodiscard]] absl::StatusOr<std::string> UnpackPackage(const std::string& tarball,
                                                        const std::string& cache_dir);

// A package directory for `source`: itself when it is a directory, unpacked when
// it is a tarball.
[[nodiscard]] absl::StatusOr<std::string> PackageDir(const std::string& source,
                                                     const std::string& cache_dir);

struct FromHostOptions {
  std::string program;            // an interpreter installed on this host, e.g. /usr/bin/python3
  std::vector<std::string> dirs;  // its standard library, e.g. /usr/lib/python3.11
  std::string name;               // package name; default: the program's base name
  std::string version;            // default: "host"
  std::string host_root;          // for tests; empty is "/"
};

// Makes a package from what is installed on the host: the program and its
// shared libraries (by the ELF walk, never by running it) at their host paths
// under sysroot/, plus `dirs`, and package.manifest. Writes `out_dir`
// (<name>_<version>/ inside it) and returns the package directory.
[[nodiscard]] absl::StatusOr<std::string> PackageFromHost(const FromHostOptions& options,
                                                          const std::string& out_dir);

// Copies a host tree (files, symlinks as symlinks, directories) to `to`.
[[nodiscard]] absl::Status CopyTree(const std::string& from, const std::string& to);

}  // namespace nanoplane::image
