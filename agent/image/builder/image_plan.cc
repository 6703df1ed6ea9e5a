#include "agent/image/builder/image_plan.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include "agent/image/builder/package.h"
#include "agent/image/elf/dependency_walk.h"
#include "agent/image/tfs/tuple_text.h"
#include "common/sha256.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::image {
namespace {

namespace fs = std::filesystem;
using Kind = PlannedEntry::Kind;

// QEMU user-mode networking's DNS forwarder; a `files` entry overrides it.
constexpr const char* kResolvConf = "nameserver 10.0.2.3\n";
constexpr const char* kCaBundle = "/etc/ssl/certs/ca-certificates.crt";

std::string HostPath(const BuildRequest& request, const std::string& image_path) {
  return request.host_root.empty() ? image_path : request.host_root + image_path;
}

std::string Basename(const std::string& path) { return fs::path(path).filename().string(); }

// `path` inside `root` with its symlinks followed (as the guest would see it),
// without leaving `root`. Gives up after 16 links, as the path then stands.
std::string ResolveInRoot(const std::string& root, std::string path) {
  for (int hops = 0; hops < 16; ++hops) {
    std::error_code ec;
    fs::path host = fs::path(root + path);
    if (!fs::is_symlink(host, ec)) {
      return path;
    }
    fs::path target = fs::read_symlink(host, ec);
    fs::path next = target.is_absolute() ? target : fs::path(path).parent_path() / target;
    path = next.lexically_normal().string();
    if (!path.starts_with("/")) {
      path = "/" + path;
    }
  }
  return path;
}

class Planner {
 public:
  Planner(const BuildRequest& request, const NanosRelease& release)
      : request_(request), release_(release) {}

  absl::StatusOr<ImagePlan> Plan() {
    plan_.nanos_version = request_.nanos_version;
    plan_.base_volume_size = request_.base_volume_size;
    NP_RETURN_IF_ERROR(AddBoot());
    AddGenerated();
    std::vector<Package> packages;
    for (const std::string& dir : request_.packages) {
      NP_ASSIGN_OR_RETURN(Package package, ReadPackage(dir));
      NP_RETURN_IF_ERROR(AddHostTree(package.sysroot(), "/", "package " + package.name));
      packages.push_back(std::move(package));
    }
    NP_RETURN_IF_ERROR(AddProgram(packages));
    for (const std::string& dir : request_.dirs) {
      NP_RETURN_IF_ERROR(AddHostTree(HostPath(request_, dir), dir, "dirs " + dir));
    }
    for (const MapDirInput& map : request_.map_dirs) {
      NP_RETURN_IF_ERROR(AddHostTree(map.host_path, map.image_path, "mapDirs " + map.host_path));
    }
    for (size_t i = 0; i < request_.files.size(); ++i) {
      NP_RETURN_IF_ERROR(AddFileInput(request_.files[i], StrCat("files[", i, "]")));
    }
    BuildManifest();
    NP_RETURN_IF_ERROR(CheckNothingBelowAFile());
    return std::move(plan_);
  }

 private:
  // Entries go where the guest would find them: through the symlinks already
  // planned (on merged-/usr hosts /bin is a symlink to usr/bin).
  void Put(const std::string& path, PlannedEntry entry) {
    plan_.root[ResolveParents(path)] = std::move(entry);
  }

  std::string ResolveParents(std::string path) const {
    for (int hops = 0; hops < 32; ++hops) {
      bool changed = false;
      for (size_t slash = path.find('/', 1); slash != std::string::npos;
           slash = path.find('/', slash + 1)) {
        auto it = plan_.root.find(path.substr(0, slash));
        if (it == plan_.root.end() || it->second.kind != Kind::kSymlink) {
          continue;
        }
        fs::path link(it->first);
        fs::path target(it->second.link_target);
        fs::path resolved = target.is_absolute() ? target : link.parent_path() / target;
        path = (resolved / path.substr(slash + 1)).lexically_normal().string();
        changed = true;
        break;
      }
      if (!changed) {
        break;
      }
    }
    return path;
  }

  absl::Status AddBoot() {
    plan_.boot["/kernel"] = {
        .kind = Kind::kFile, .host_path = release_.kernel().string(), .origin = "Nanos kernel"};
    for (const std::string& klib : request_.klibs) {
      fs::path path = release_.klibs() / klib;
      std::error_code ec;
      if (!fs::is_regular_file(path, ec)) {
        return absl::FailedPreconditionError(StrCat("klib \"", klib, "\" is not in Nanos ",
                                                    release_.version, " (", path.string(), ")"));
      }
      plan_.boot["/klib/" + klib] = {
          .kind = Kind::kFile, .host_path = path.string(), .origin = "klib " + klib};
    }
    return absl::OkStatus();
  }

  void AddGenerated() {
    Put("/etc/resolv.conf", {.kind = Kind::kFile, .content = kResolvConf, .origin = "generated"});
    if (request_.ssl_certs) {
      Put(kCaBundle, {.kind = Kind::kFile,
                      .host_path = HostPath(request_, kCaBundle),
                      .origin = "ssl certificates"});
    }
  }

  absl::Status AddProgram(const std::vector<Package>& packages) {
    const std::string& program = request_.program;
    for (const Package& package : packages) {
      std::error_code ec;
      if (request_.program_source.empty() && fs::exists(package.sysroot() + program, ec)) {
        // The package ships the program and everything it loads. The kernel
        // is given the file itself, not a symlink to it.
        program_path_ = ResolveInRoot(package.sysroot(), program);
        Put("/proc/self/exe",
            {.kind = Kind::kSymlink, .link_target = program_path_, .origin = "program"});
        return absl::OkStatus();
      }
    }
    std::string source =
        request_.program_source.empty() ? HostPath(request_, program) : request_.program_source;
    WalkOptions options;
    options.root = request_.host_root;
    for (const auto& [name, value] : request_.env) {
      if (name == "LD_LIBRARY_PATH") {
        options.ld_library_path = value;
      }
    }
    // The walk takes in-root paths; a program from elsewhere is walked where it is.
    std::string walked = request_.program_source.empty() ? program : source;
    if (!request_.program_source.empty()) {
      options.root.clear();
    }
    auto closure = WalkDependencies(walked, options);
    if (!closure.ok()) {
      return Annotate(closure.status(), StrCat("program ", program));
    }
    bool dynamic = closure->objects.size() > 1;
    for (const ImageEntry& entry : closure->entries) {
      bool is_program = entry.image_path == closure->objects[0].path ||
                        entry.image_path == closure->objects[0].real_path;
      if (is_program && entry.kind == ImageEntry::Kind::kFile) {
        continue;  // placed at `program` below
      }
      if (is_program) {
        continue;  // a symlink to the program (e.g. python3 -> python3.11) is not needed
      }
      std::string origin = "library of " + program;
      if (entry.kind == ImageEntry::Kind::kSymlink) {
        Put(entry.image_path,
            {.kind = Kind::kSymlink, .link_target = entry.link_target, .origin = origin});
      } else {
        Put(entry.image_path,
            {.kind = Kind::kFile, .host_path = entry.host_path, .origin = origin});
      }
    }
    std::string ld_cache = HostPath(request_, "/etc/ld.so.cache");
    std::error_code ec;
    if (dynamic && fs::is_regular_file(ld_cache, ec)) {
      Put("/etc/ld.so.cache",
          {.kind = Kind::kFile, .host_path = ld_cache, .origin = "ld.so.cache"});
    }
    std::string real = fs::canonical(source, ec).string();
    program_path_ = ResolveParents(program);
    Put(program, {.kind = Kind::kFile, .host_path = ec ? source : real, .origin = "program"});
    Put("/proc/self/exe",
        {.kind = Kind::kSymlink, .link_target = program_path_, .origin = "program"});
    return absl::OkStatus();
  }

  absl::Status AddHostTree(const std::string& host_dir, const std::string& image_dir,
                           const std::string& origin) {
    std::error_code ec;
    if (!fs::is_directory(host_dir, ec)) {
      return absl::InvalidArgumentError(StrCat(origin, ": ", host_dir, " is not a directory"));
    }
    std::string base = image_dir == "/" ? "" : image_dir;
    auto it = fs::recursive_directory_iterator(host_dir, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      // Lexically: fs::relative would follow a symlink to where it points.
      std::string image_path = base + "/" + it->path().lexically_relative(host_dir).string();
      if (it->is_symlink()) {
        Put(image_path, {.kind = Kind::kSymlink,
                         .link_target = fs::read_symlink(it->path()).string(),
                         .origin = origin});
      } else if (it->is_directory()) {
        Put(image_path, {.kind = Kind::kDirectory, .origin = origin});
      } else if (it->is_regular_file()) {
        Put(image_path, {.kind = Kind::kFile, .host_path = it->path().string(), .origin = origin});
      }
    }
    if (ec) {
      return absl::InvalidArgumentError(StrCat(origin, ": ", host_dir, ": ", ec.message()));
    }
    return absl::OkStatus();
  }

  absl::Status AddFileInput(const FileInput& file, const std::string& origin) {
    if (file.host_path.empty()) {
      Put(file.image_path, {.kind = Kind::kFile, .content = file.content, .origin = origin});
      return absl::OkStatus();
    }
    std::error_code ec;
    if (!fs::is_regular_file(file.host_path, ec)) {
      return absl::InvalidArgumentError(
          StrCat(origin, ": ", file.host_path, " is not a readable file"));
    }
    Put(file.image_path, {.kind = Kind::kFile, .host_path = file.host_path, .origin = origin});
    return absl::OkStatus();
  }

  void BuildManifest() {
    Tuple& m = plan_.manifest;
    for (const auto& [key, value] : request_.manifest) {
      m.Set(key, value);
    }
    m.Set("program", Value(program_path_.empty() ? request_.program : program_path_));
    std::vector<Value> arguments = {Value(Basename(request_.program))};
    for (const std::string& arg : request_.args) {
      arguments.emplace_back(arg);
    }
    m.Set("arguments", Value(std::move(arguments)));
    Tuple environment{{"USER", Value("root")}, {"PWD", Value("/")}};
    environment.Set("NANOS_VERSION", Value(request_.nanos_version));
    for (const auto& [name, value] : request_.env) {
      environment.Set(name, Value(value));
    }
    m.Set("environment", Value(std::move(environment)));
    if (!request_.klibs.empty()) {
      m.Set("klibs", Value("bootfs"));
    }
    for (const std::string& flag : request_.debug_flags) {
      m.Set(flag, Value("t"));
    }
  }

  // TFS cannot hold a path below a file or a symlink.
  absl::Status CheckNothingBelowAFile() {
    for (const auto& [path, entry] : plan_.root) {
      for (fs::path parent = fs::path(path).parent_path(); parent != "/" && !parent.empty();
           parent = parent.parent_path()) {
        auto it = plan_.root.find(parent.string());
        if (it != plan_.root.end() && it->second.kind != Kind::kDirectory) {
          return absl::InvalidArgumentError(StrCat(path, " (", entry.origin, ") lies below ",
                                                   parent.string(), " (", it->second.origin,
                                                   "), which is not a directory"));
        }
      }
    }
    return absl::OkStatus();
  }

  const BuildRequest& request_;
  const NanosRelease& release_;
  ImagePlan plan_;
  std::string program_path_;  // the program's real path when it differs from request_.program
};

absl::StatusOr<TfsTree> TreeOf(const std::map<std::string, PlannedEntry>& entries) {
  TfsTree tree;
  for (const auto& [path, entry] : entries) {
    absl::Status status;
    switch (entry.kind) {
      case Kind::kDirectory:
        status = tree.AddDirectory(path);
        break;
      case Kind::kSymlink:
        status = tree.AddSymlink(path, entry.link_target);
        break;
      case Kind::kFile:
        status =
            tree.AddFile(path, entry.host_path.empty() ? FileSource::Bytes(entry.content)
                                                       : FileSource::HostPath(entry.host_path));
        break;
    }
    if (!status.ok() && status.code() != absl::StatusCode::kAlreadyExists) {
      return Annotate(status, StrCat(path, " (", entry.origin, ")"));
    }
  }
  return tree;
}

}  // namespace

absl::StatusOr<ImagePlan> PlanImage(const BuildRequest& request, const NanosRelease& release) {
  return Planner(request, release).Plan();
}

absl::StatusOr<TfsTree> RootTree(const ImagePlan& plan) {
  NP_ASSIGN_OR_RETURN(TfsTree tree, TreeOf(plan.root));
  for (const auto& [key, value] : plan.manifest) {
    NP_RETURN_IF_ERROR(tree.SetRootEntry(key, value));
  }
  return tree;
}

absl::StatusOr<TfsTree> BootTree(const ImagePlan& plan) { return TreeOf(plan.boot); }

std::string ManifestText(const ImagePlan& plan) {
  Tuple root = plan.manifest;
  Tuple children;
  for (const auto& [path, entry] : plan.root) {
    Tuple* dir = &children;
    std::vector<std::string_view> parts = StrSplit(std::string_view(path).substr(1), '/');
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      Value* child = dir->Find(parts[i]);
      if (child == nullptr || !child->is_tuple()) {
        dir->Set(parts[i], Value(Tuple{{"children", Value(Tuple{})}}));
        child = dir->Find(parts[i]);
      }
      if (child->tuple().Find("children") == nullptr) {
        child->tuple().Set("children", Value(Tuple{}));
      }
      dir = &child->tuple().Find("children")->tuple();
    }
    Tuple node;
    if (entry.kind == Kind::kSymlink) {
      node.Set("linktarget", Value(entry.link_target));
    } else if (entry.kind == Kind::kDirectory) {
      node.Set("children", Value(Tuple{}));
    } else {
      std::string host = entry.host_path.empty()
                             ? StrCat("<inline ", entry.content.size(), " bytes>")
                             : entry.host_path;
      node.Set("contents", Value(Tuple{{"host", Value(host)}}));
    }
    if (Value* existing = dir->Find(parts.back()); existing == nullptr || !existing->is_tuple()) {
      dir->Set(parts.back(), Value(std::move(node)));
    }
  }
  root.Set("children", Value(std::move(children)));
  return FormatTuple(root);
}

namespace {

// Hashes every host file of the plan on all cores, so the key's reads overlap.
void PrehashFiles(const ImagePlan& plan, FileDigests& digests) {
  std::vector<const std::string*> paths;
  for (const auto* entries : {&plan.boot, &plan.root}) {
    for (const auto& [path, entry] : *entries) {
      if (entry.kind == Kind::kFile && !entry.host_path.empty()) {
        paths.push_back(&entry.host_path);
      }
    }
  }
  size_t workers = std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()), 8);
  if (paths.size() < 64 || workers < 2) {
    return;  // not worth threads; ImageKey hashes as it goes
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  for (size_t w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      for (size_t i = next++; i < paths.size(); i = next++) {
        (void)digests.Of(*paths[i]);  // errors are reported by ImageKey's own pass
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
}

}  // namespace

absl::StatusOr<std::string> ImageKey(const ImagePlan& plan, FileDigests& digests) {
  PrehashFiles(plan, digests);
  Sha256 hasher;
  hasher.Update("nanoplane-image v1\n");
  auto hash_entries = [&](std::string_view tree,
                          const std::map<std::string, PlannedEntry>& entries) -> absl::Status {
    for (const auto& [path, entry] : entries) {
      std::string line;
      if (entry.kind == Kind::kDirectory) {
        line = StrCat(tree, " dir ", path, "\n");
      } else if (entry.kind == Kind::kSymlink) {
        line = StrCat(tree, " link ", path, " ", entry.link_target, "\n");
      } else {
        std::string digest;
        if (entry.host_path.empty()) {
          digest = Sha256Hex(entry.content);
        } else {
          auto file_digest = digests.Of(entry.host_path);
          if (!file_digest.ok()) {
            return Annotate(file_digest.status(), StrCat(path, " (", entry.origin, ")"));
          }
          digest = *file_digest;
        }
        line = StrCat(tree, " file ", path, " ", digest, "\n");
      }
      hasher.Update(line);
    }
    return absl::OkStatus();
  };
  NP_RETURN_IF_ERROR(hash_entries("boot", plan.boot));
  NP_RETURN_IF_ERROR(hash_entries("root", plan.root));
  hasher.Update(
      StrCat("manifest ", FormatTuple(plan.manifest), "\nsize ", plan.base_volume_size, "\n"));
  return hasher.HexDigest();
}

}  // namespace nanoplane::image
