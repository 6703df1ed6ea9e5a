#include "agent/image/release/release_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <random>

#include "agent/image/archive/safe_extract.h"
#include "common/file_lock.h"
#include "common/sha256.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::image {
namespace {

namespace fs = std::filesystem;

bool IsVersionName(const std::string& version) {
  if (version.empty() || version.size() > 64 || version == "." || version == "..") {
    return false;
  }
  for (char c : version) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
      return false;
    }
  }
  return true;
}

std::string ReplaceAll(std::string text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// The release inside an unpacked tarball: its root, or its one top directory.
std::optional<fs::path> FindReleaseRoot(const fs::path& root) {
  if (IsReleaseDir(root)) {
    return root;
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (entry.is_directory() && !entry.is_symlink() && IsReleaseDir(entry.path())) {
      return entry.path();
    }
  }
  return std::nullopt;
}

std::string TempName(const std::string& version) {
  std::random_device random;
  return StrCat(".tmp-", version, "-", ::getpid(), "-", random());
}

}  // namespace

bool IsReleaseDir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "kernel.img", ec) && fs::is_regular_file(dir / "boot.img", ec);
}

absl::StatusOr<std::map<std::string, std::string>> ParseReleasePins(
    const std::vector<std::string>& pins) {
  std::map<std::string, std::string> by_version;
  for (const std::string& pin : pins) {
    const size_t eq = pin.find('=');
    const std::string hex = eq == std::string::npos ? "" : pin.substr(eq + 1);
    const bool is_hex = hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
                          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                        });
    if (eq == 0 || !is_hex) {
      return absl::InvalidArgumentError(
          StrCat("--nanos-sha256 \"", pin, "\": expected VERSION=<64 lower-case hex digits>"));
    }
    by_version[pin.substr(0, eq)] = hex;
  }
  return by_version;
}

ReleaseStore::ReleaseStore(ReleaseStoreOptions options, std::unique_ptr<Downloader> downloader)
    : options_(std::move(options)), downloader_(std::move(downloader)) {}

absl::StatusOr<NanosRelease> ReleaseStore::Get(const std::string& version) {
  if (!IsVersionName(version)) {
    return absl::InvalidArgumentError(StrCat("\"", version, "\" is not a Nanos version"));
  }
  if (!options_.release_dir.empty()) {
    fs::path dir(options_.release_dir);
    if (IsReleaseDir(dir)) {
      return NanosRelease{"local", dir};
    }
    if (IsReleaseDir(dir / version)) {
      return NanosRelease{version, dir / version};
    }
  }
  if (!options_.cache_dir.empty() && IsReleaseDir(fs::path(options_.cache_dir) / version)) {
    return NanosRelease{version, fs::path(options_.cache_dir) / version};
  }
  return Download(version);
}

absl::StatusOr<NanosRelease> ReleaseStore::Download(const std::string& version) {
  std::string where =
      options_.release_dir.empty()
          ? std::string("no release directory is set")
          : StrCat(options_.release_dir, " holds neither kernel.img nor ", version, "/kernel.img");
  std::string how = StrCat("Nanos ", version, " is not available: ", where,
                           ". Point --nanos-dir (or NANOS_RELEASE_DIR) at a directory holding "
                           "kernel.img, boot.img and klibs/");
  if (options_.url_template.empty() || options_.cache_dir.empty() || downloader_ == nullptr) {
    return absl::FailedPreconditionError(StrCat(how, ", or enable downloads"));
  }
  auto sha = options_.sha256_by_version.find(version);
  if (sha == options_.sha256_by_version.end()) {
    return absl::FailedPreconditionError(
        StrCat(how, ", or give the release tarball's sha256 (--nanos-sha256 ", version,
               "=HEX) so it can be downloaded and verified"));
  }
  std::string url = ReplaceAll(options_.url_template, "{version}", version);
  std::lock_guard<std::mutex> guard(mutex_);
  std::error_code ec;
  fs::create_directories(options_.cache_dir, ec);
  if (ec) {
    return absl::InternalError(StrCat(options_.cache_dir, ": cannot create the release cache"));
  }
  absl::StatusOr<FileLock> lock =
      FileLock::Acquire((fs::path(options_.cache_dir) / StrCat(".", version, ".lock")).string());
  if (!lock.ok()) {
    return lock.status();
  }
  return DownloadLocked(version, url, sha->second);
}

absl::StatusOr<NanosRelease> ReleaseStore::DownloadLocked(const std::string& version,
                                                          const std::string& url,
                                                          const std::string& sha256) {
  fs::path final_dir = fs::path(options_.cache_dir) / version;
  if (IsReleaseDir(final_dir)) {
    return NanosRelease{version, final_dir};  // another process finished it first
  }
  fs::path temp = fs::path(options_.cache_dir) / TempName(version);
  fs::create_directories(temp / "root");
  struct Cleanup {
    fs::path path;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } cleanup{temp};

  fs::path tarball = temp / "release.tar.gz";
  NP_RETURN_IF_ERROR(
      Annotate(downloader_->Download(url, tarball.string()), StrCat("download Nanos ", version)));
  NP_ASSIGN_OR_RETURN(std::string actual, Sha256OfFile(tarball.string()));
  if (actual != sha256) {
    return absl::InvalidArgumentError(
        StrCat("Nanos ", version, " from ", url, ": sha256 is ", actual, ", expected ", sha256));
  }
  NP_RETURN_IF_ERROR(ExtractArchive(tarball.string(), (temp / "root").string()));
  std::optional<fs::path> root = FindReleaseRoot(temp / "root");
  if (!root) {
    return absl::InvalidArgumentError(
        StrCat("Nanos ", version, " from ", url, ": the tarball holds no kernel.img and boot.img"));
  }
  // The rename is the commit point: readers see the whole release or none.
  std::error_code ec;
  fs::rename(*root, final_dir, ec);
  if (ec) {
    return absl::InternalError(StrCat(final_dir.string(), ": ", ec.message()));
  }
  return NanosRelease{version, final_dir};
}

std::vector<std::string> ReleaseStore::LocalVersions() const {
  std::vector<std::string> versions;
  std::error_code ec;
  auto collect = [&](const std::string& root) {
    if (root.empty()) {
      return;
    }
    for (const auto& entry : fs::directory_iterator(root, ec)) {
      std::string name = entry.path().filename().string();
      if (IsVersionName(name) && name[0] != '.' && IsReleaseDir(entry.path())) {
        versions.push_back(name);
      }
    }
  };
  if (!options_.release_dir.empty() && IsReleaseDir(options_.release_dir)) {
    versions.push_back("local");
  } else {
    collect(options_.release_dir);
  }
  collect(options_.cache_dir);
  std::sort(versions.begin(), versions.end());
  versions.erase(std::unique(versions.begin(), versions.end()), versions.end());
  return versions;
}

}  // namespace nanoplane::image
