#include "cli/image_tools.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "common/sha256.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::cli {
namespace {

namespace fs = std::filesystem;

}  // namespace

void AddImageContentFlags(CLI::App& command, ImageContentFlags& flags) {
  command.add_option("-a,--arg", flags.args, "An argument after argv0 (repeat)");
  command.add_option("-e,--env", flags.env, "NAME=VALUE in the environment (repeat)");
  command.add_option("--file", flags.files, "SRC[:DST]: a host file placed at DST (repeat)");
  command.add_option("-d,--dir", flags.dirs, "A host directory copied into the image (repeat)");
  command.add_option("--pkg", flags.packages, "An ops package: a directory or tarball (repeat)");
  command.add_option("--klib", flags.klibs, "A Nanos klib to load (repeat)");
  command.add_option("--nanos-version", flags.nanos_version, "Nanos release version")
      ->capture_default_str();
}

absl::StatusOr<image::BuildRequest> RequestFromFlags(const ImageContentFlags& flags) {
  image::BuildRequest request;
  fs::path program(flags.program);
  request.program = program.is_absolute() ? program.string() : "/" + program.filename().string();
  request.program_source = program.is_absolute() && !flags.packages.empty() ? "" : program.string();
  request.args = flags.args;
  for (const std::string& pair : flags.env) {
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(StrCat("-e \"", pair, "\": expected NAME=VALUE"));
    }
    request.env.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
  }
  for (const std::string& spec : flags.files) {
    size_t colon = spec.find(':');
    std::string source = spec.substr(0, colon);
    std::string dest = colon == std::string::npos ? "" : spec.substr(colon + 1);
    if (dest.empty()) {
      dest = fs::path(source).is_absolute() ? source : "/" + fs::path(source).filename().string();
    }
    request.files.push_back({dest, source, ""});
  }
  for (const std::string& dir : flags.dirs) {
    if (fs::path(dir).is_absolute()) {
      request.dirs.push_back(dir);
    } else {
      request.map_dirs.push_back({dir, "/" + fs::path(dir).lexically_normal().string()});
    }
  }
  request.nanos_version = flags.nanos_version;
  request.klibs = flags.klibs;
  return request;
}

void AddImageToolFlags(CLI::App& command, ImageToolOptions& options) {
  command.add_option("--nanos-dir", options.nanos_dir,
                     "Nanos release directory (kernel.img, boot.img, klibs/), or one of "
                     "<version>/ directories; default $NANOS_RELEASE_DIR");
  command.add_option("--nanos-sha256", options.nanos_sha256,
                     "VERSION=SHA256 of a release tarball, to download and verify it");
  command.add_option("--nanos-url", options.release_url, "Release tarball URL, {version} replaced")
      ->capture_default_str();
  command.add_option("--cache-dir", options.cache_dir,
                     "Where images, packages and releases are cached (default ~/.cache/nanoplane)");
}

std::string CacheDir(const ImageToolOptions& options) {
  if (!options.cache_dir.empty()) {
    return options.cache_dir;
  }
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    return StrCat(xdg, "/nanoplane");
  }
  const char* home = std::getenv("HOME");
  return StrCat(home && *home ? home : "/tmp", "/.cache/nanoplane");
}

absl::StatusOr<std::unique_ptr<image::ReleaseStore>> MakeReleaseStore(
    const ImageToolOptions& options) {
  image::ReleaseStoreOptions store;
  store.release_dir = options.nanos_dir;
  if (store.release_dir.empty()) {
    if (const char* env = std::getenv("NANOS_RELEASE_DIR"); env != nullptr) {
      store.release_dir = env;
    }
  }
  store.cache_dir = CacheDir(options) + "/releases";
  store.url_template = options.release_url;
  NP_ASSIGN_OR_RETURN(store.sha256_by_version, image::ParseReleasePins(options.nanos_sha256));
  return std::make_unique<image::ReleaseStore>(std::move(store),
                                               std::make_unique<image::HttpDownloader>());
}

image::SourceResolver LocalSourceResolver(const std::string& base_dir,
                                          const ImageToolOptions& options) {
  std::string downloads = CacheDir(options) + "/downloads";
  return [base_dir, downloads](const v1alpha1::Source& source,
                               const std::string& field) -> absl::StatusOr<std::string> {
    if (!source.path().empty()) {
      fs::path path(source.path());
      std::string resolved =
          path.is_absolute() ? path.string() : (fs::path(base_dir) / path).string();
      std::error_code ec;
      if (!fs::exists(resolved, ec)) {
        return absl::InvalidArgumentError(StrCat(field, ".path: ", resolved, " does not exist"));
      }
      return resolved;
    }
    if (!source.url().empty()) {
      fs::create_directories(downloads);
      std::string target = StrCat(downloads, "/", source.sha256());
      if (auto digest = Sha256OfFile(target); digest.ok() && *digest == source.sha256()) {
        return target;
      }
      image::HttpDownloader downloader;
      NP_RETURN_IF_ERROR(Annotate(downloader.Download(source.url(), target + ".part"), field));
      NP_ASSIGN_OR_RETURN(std::string digest, Sha256OfFile(target + ".part"));
      if (digest != source.sha256()) {
        fs::remove(target + ".part");
        return absl::InvalidArgumentError(StrCat(field, ": ", source.url(), " has sha256 ", digest,
                                                 ", expected ", source.sha256()));
      }
      fs::rename(target + ".part", target);
      return target;
    }
    return absl::FailedPreconditionError(
        StrCat(field, ": artifact ", source.sha256(),
               " is in a controller's artifact store; apply the manifest to a controller"));
  };
}

absl::Status CopySparse(const std::string& from, const std::string& to) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    return absl::NotFoundError(StrCat(from, ": ", std::strerror(errno)));
  }
  int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    ::close(in);
    return absl::InternalError(StrCat(to, ": ", std::strerror(errno)));
  }
  std::string buffer(1 << 20, '\0');
  off_t offset = 0;
  absl::Status status;
  while (true) {
    ssize_t n = ::read(in, buffer.data(), buffer.size());
    if (n <= 0) {
      if (n < 0) {
        status = absl::InternalError(StrCat(from, ": ", std::strerror(errno)));
      }
      break;
    }
    bool zero = std::string_view(buffer.data(), static_cast<size_t>(n)).find_first_not_of('\0') ==
                std::string_view::npos;
    if (!zero && ::pwrite(out, buffer.data(), static_cast<size_t>(n), offset) != n) {
      status = absl::InternalError(StrCat(to, ": ", std::strerror(errno)));
      break;
    }
    offset += n;
  }
  if (status.ok() && ::ftruncate(out, offset) != 0) {
    status = absl::InternalError(StrCat(to, ": ", std::strerror(errno)));
  }
  ::close(in);
  ::close(out);
  return status;
}

std::string HumanBytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

}  // namespace nanoplane::cli
