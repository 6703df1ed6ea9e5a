#pragma once

// What the image commands share: the flags that say what goes into an image,
// where releases, images and packages live on this machine, and how a
// manifest's sources are found from the CLI.

#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "agent/image/builder/spec_request.h"
#include "agent/image/cache/image_cache.h"
#include "agent/image/release/release_store.h"
#include "common/defaults.h"

namespace nanoplane::cli {

// What goes into an image, as `nanoplane build` and `nanoplane run` take it
// from their flags (ops's: -a, -e, --file, -d, --pkg, --klib). `program` is
// each command's positional argument.
struct ImageContentFlags {
  std::string program;
  std::vector<std::string> args, env, files, dirs, packages, klibs;
  std::string nanos_version = DefaultNanosVersion();
};

// Adds -a/--arg, -e/--env, --file, -d/--dir, --pkg, --klib and --nanos-version.
void AddImageContentFlags(CLI::App& command, ImageContentFlags& flags);

// The request the flags describe, host paths as given: an absolute program
// keeps its path in the image (./hello becomes /hello) and is read from the
// host unless packages are given (one may hold it); --file SRC without :DST
// lands at SRC if absolute, else under / by its name; an absolute -d DIR is
// copied to the same path, a relative one mapped to /DIR. Packages are the
// caller's to open (`packages` stays empty), and so is ssl_certs.
// InvalidArgument for an -e that is not NAME=VALUE.
[[nodiscard]] absl::StatusOr<image::BuildRequest> RequestFromFlags(const ImageContentFlags& flags);

struct ImageToolOptions {
  std::string nanos_dir;                  // --nanos-dir, else NANOS_RELEASE_DIR
  std::vector<std::string> nanos_sha256;  // VERSION=HEX
  std::string release_url = image::kDefaultReleaseUrl;
  std::string cache_dir;  // default ~/.cache/nanoplane
};

// Adds --nanos-dir, --nanos-sha256, --nanos-url and --cache-dir to `command`.
void AddImageToolFlags(CLI::App& command, ImageToolOptions& options);

std::string CacheDir(const ImageToolOptions& options);

// The release store for these options. InvalidArgument for a malformed --nanos-sha256.
[[nodiscard]] absl::StatusOr<std::unique_ptr<image::ReleaseStore>> MakeReleaseStore(
    const ImageToolOptions& options);

// Sources as the CLI sees them: a path is relative to `base_dir` (the manifest's
// directory); a URL is downloaded into the cache and checked against its sha256;
// a bare sha256 names an artifact only a controller has.
image::SourceResolver LocalSourceResolver(const std::string& base_dir,
                                          const ImageToolOptions& options);

// Copies a (sparse) image, keeping holes.
[[nodiscard]] absl::Status CopySparse(const std::string& from, const std::string& to);

// "18.0 MiB"
std::string HumanBytes(uint64_t bytes);

}  // namespace nanoplane::cli
