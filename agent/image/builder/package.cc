#include "agent/image/builder/package.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "agent/image/archive/safe_extract.h"
#include "agent/image/elf/dependency_walk.h"
#include "common/json.h"
#include "common/sha256.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::image {
namespace {

namespace fs = std::filesystem;

constexpr const char* kManifestName = "package.manifest";

absl::Status ManifestError(const fs::path& path, std::string_view why) {
  return absl::InvalidArgumentError(StrCat(path.string(), ": ", why));
}

absl::StatusOr<std::vector<std::string>> StringList(const Json& json, const fs::path& path,
                                                    std::string_view field) {
  std::vector<std::string> out;
  if (!json.contains(field)) {
    return out;
  }
  if (!json[std::string(field)].is_array()) {
    return ManifestError(path, StrCat(field, ": expected a list of strings"));
  }
  for (const Json& item : json[std::string(field)]) {
    if (!item.is_string()) {
      return ManifestError(path, StrCat(field, ": expected a list of strings"));
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

// The directory holding package.manifest: `root` or its only subdirectory with one.
std::optional<fs::path> FindPackageDir(const fs::path& root) {
  std::error_code ec;
  if (fs::is_regular_file(root / kManifestName, ec)) {
    return root;
  }
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (entry.is_directory() && !entry.is_symlink() &&
        fs::is_regular_file(entry.path() / kManifestName, ec)) {
      return entry.path();
    }
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<Package> ReadPackage(const std::string& dir) {
  fs::path path = fs::path(dir) / kManifestName;
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(StrCat(dir, ": not a package (no ", kManifestName, ")"));
  }
  std::stringstream text;
  text << in.rdbuf();
  Json json = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return ManifestError(path, "is not a JSON object");
  }
  Package package;
  package.dir = dir;
  package.name = fs::path(dir).filename().string();
  if (!json.contains("Program") || !json["Program"].is_string()) {
    return ManifestError(path, "Program: required, a string");
  }
  package.program = json["Program"].get<std::string>();
  NP_ASSIGN_OR_RETURN(package.args, StringList(json, path, "Args"));
  if (json.contains("Env")) {
    if (!json["Env"].is_object()) {
      return ManifestError(path, "Env: expected an object of strings");
    }
    for (const auto& [key, value] : json["Env"].items()) {
      if (!value.is_string()) {
        return ManifestError(path, StrCat("Env.", key, ": expected a string"));
      }
      package.env[key] = value.get<std::string>();
    }
  }
  if (json.contains("Version") && json["Version"].is_string()) {
    package.version = json["Version"].get<std::string>();
  }
  std::error_code ec;
  if (!fs::is_directory(package.sysroot(), ec)) {
    return absl::InvalidArgumentError(StrCat(dir, ": not a package (no sysroot/)"));
  }
  return package;
}

absl::StatusOr<std::string> UnpackPackage(const std::string& tarball,
                                          const std::string& cache_dir) {
  NP_ASSIGN_OR_RETURN(std::string digest, Sha256OfFile(tarball));
  fs::path final_dir = fs::path(cache_dir) / digest;
  std::error_code ec;
  if (!fs::is_directory(final_dir, ec)) {
    fs::create_directories(cache_dir, ec);
    std::random_device random;
    fs::path temp = fs::path(cache_dir) / StrCat(".tmp-", digest, "-", random());
    fs::create_directories(temp, ec);
    absl::Status status = ExtractArchive(tarball, temp.string());
    if (status.ok()) {
      fs::rename(temp, final_dir, ec);
      // Losing a race to another unpacker of the same tarball is fine.
      if (ec && !fs::is_directory(final_dir)) {
        status = absl::InternalError(StrCat(final_dir.string(), ": ", ec.message()));
      }
    }
    fs::remove_all(temp, ec);
    NP_RETURN_IF_ERROR(status);
  }
  std::optional<fs::path> dir = FindPackageDir(final_dir);
  if (!dir) {
    return absl::InvalidArgumentError(StrCat(tarball, ": not a package (no ", kManifestName, ")"));
  }
  return dir->string();
}

absl::StatusOr<std::string> PackageDir(const std::string& source, const std::string& cache_dir) {
  std::error_code ec;
  if (fs::is_directory(source, ec)) {
    return source;
  }
  if (!fs::is_regular_file(source, ec)) {
    return absl::NotFoundError(StrCat("package ", source, ": no such file or directory"));
  }
  return UnpackPackage(source, cache_dir);
}

absl::Status CopyTree(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  fs::copy(from, to,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks |
               fs::copy_options::overwrite_existing,
           ec);
  if (ec) {
    return absl::InternalError(StrCat("copy ", from, " to ", to, ": ", ec.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> PackageFromHost(const FromHostOptions& options,
                                            const std::string& out_dir) {
  std::string name =
      options.name.empty() ? fs::path(options.program).filename().string() : options.name;
  std::string version = options.version.empty() ? "host" : options.version;
  fs::path dir = fs::path(out_dir) / StrCat(name, "_", version);
  fs::path sysroot = dir / "sysroot";
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(sysroot, ec);
  WalkOptions walk;
  walk.root = options.host_root;
  auto closure = WalkDependencies(options.program, walk);
  if (!closure.ok()) {
    return Annotate(closure.status(), StrCat("package ", name));
  }
  for (const ImageEntry& entry : closure->entries) {
    fs::path target = sysroot / entry.image_path.substr(1);
    fs::create_directories(target.parent_path(), ec);
    if (entry.kind == ImageEntry::Kind::kSymlink) {
      fs::remove(target, ec);
      fs::create_symlink(entry.link_target, target, ec);
    } else {
      fs::copy_file(entry.host_path, target, fs::copy_options::overwrite_existing, ec);
    }
    if (ec) {
      return absl::InternalError(
          StrCat("package ", name, ": ", entry.image_path, ": ", ec.message()));
    }
  }
  for (const std::string& extra : options.dirs) {
    std::string host = options.host_root + extra;
    if (!fs::is_directory(host, ec)) {
      return absl::InvalidArgumentError(
          StrCat("package ", name, ": ", extra, " is not a directory"));
    }
    // A symlinked directory (perl's 5.36 -> 5.36.0) keeps its link and its target.
    fs::path real = fs::canonical(host, ec);
    std::string real_in_root = real.string().substr(options.host_root.size());
    NP_RETURN_IF_ERROR(CopyTree(real.string(), (sysroot / real_in_root.substr(1)).string()));
    if (fs::is_symlink(host, ec)) {
      fs::path link = sysroot / extra.substr(1);
      fs::create_directories(link.parent_path(), ec);
      fs::remove_all(link, ec);
      fs::create_symlink(fs::read_symlink(host), link, ec);
    }
  }
  Json manifest = {{"Program", options.program},
                   {"Args", Json::array({fs::path(options.program).filename().string()})},
                   {"Version", version}};
  std::ofstream(dir / kManifestName) << manifest.dump(2) << "\n";
  return dir.string();
}

}  // namespace nanoplane::image
