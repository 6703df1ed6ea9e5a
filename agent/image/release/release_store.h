#pragma once

// Nanos releases: a directory per version holding kernel.img, boot.img and
// klibs/. Found in a local release directory, in the download cache, or
// downloaded as the release tarball, verified against its sha256 and unpacked
// atomically into the cache.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/image/release/downloader.h"

namespace nanoplane::image {

struct NanosRelease {
  std::string version;  // "local" for a bare release directory
  std::filesystem::path dir;

  std::filesystem::path kernel() const { return dir / "kernel.img"; }
  std::filesystem::path boot() const { return dir / "boot.img"; }
  std::filesystem::path klibs() const { return dir / "klibs"; }
};

// The default tarball location, as ops uses it; {version} is replaced.
inline constexpr const char* kDefaultReleaseUrl =
    "https://storage.googleapis.com/nanos/release/{version}/nanos-release-linux-{version}.tar.gz";

struct ReleaseStoreOptions {
  // --nanos-dir / NANOS_RELEASE_DIR. Either one release (it holds kernel.img),
  // used whatever version is asked for, or a directory of <version>/ releases.
  std::string release_dir;
  // Where downloaded releases are unpacked, one <version>/ each.
  std::string cache_dir;
  // Tarball URL with {version}; empty disables downloading.
  std::string url_template = kDefaultReleaseUrl;
  // The sha256 of each version's tarball. A download is only trusted against one.
  std::map<std::string, std::string> sha256_by_version;
};

// The sha256 pins of --nanos-sha256 flags, "VERSION=HEX" each. InvalidArgument
// naming the flag's value when one is malformed.
[[nodiscard]] absl::StatusOr<std::map<std::string, std::string>> ParseReleasePins(
    const std::vector<std::string>& pins);

// Thread-safe; concurrent processes sharing cache_dir are serialized per version
// by a lock file, so one version is downloaded once.
class ReleaseStore {
 public:
  ReleaseStore(ReleaseStoreOptions options, std::unique_ptr<Downloader> downloader);

  // The release for `version`. FailedPrecondition, saying exactly what is missing
  // and how to provide it, when no release is found and none can be downloaded;
  // InvalidArgument when a download does not match its sha256 or is not a release.
  [[nodiscard]] absl::StatusOr<NanosRelease> Get(const std::string& version);

  // The versions available without a download (for the agent's hello).
  std::vector<std::string> LocalVersions() const;

 private:
  absl::StatusOr<NanosRelease> Download(const std::string& version);
  absl::StatusOr<NanosRelease> DownloadLocked(const std::string& version, const std::string& url,
                                              const std::string& sha256);

  ReleaseStoreOptions options_;
  std::unique_ptr<Downloader> downloader_;
  std::mutex mutex_;  // serializes downloads within the process
};

// Whether `dir` holds a usable release: kernel.img and boot.img (klibs/ optional).
bool IsReleaseDir(const std::filesystem::path& dir);

}  // namespace nanoplane::image
