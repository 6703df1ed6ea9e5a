#include "agent/image/elf/dependency_walk.h"

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "agent/image/elf/ld_so_cache.h"
#include "agent/image/elf/root_fs.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::image {
namespace {

constexpr size_t kElfHeaderSize = 64;
constexpr size_t kNoLoader = static_cast<size_t>(-1);

// One stage of the library search, in ld.so's order.
struct SearchStep {
  bool is_cache = false;
  std::string label;  // "RUNPATH of /usr/bin/x", for error messages
  std::vector<std::string> dirs;
};

struct Candidate {
  std::string path;  // as found, before resolving symlinks
  ResolvedPath resolved;
  ElfFile elf;
};

std::string AbsoluteInImage(std::string_view path) {
  return path.starts_with('/') ? std::string(path) : StrCat("/", path);
}

// Splits a search list; empty elements mean the working directory, "/".
std::vector<std::string> SplitSearchList(std::string_view list, std::string_view separators,
                                         std::string_view origin) {
  std::vector<std::string> dirs;
  size_t start = 0;
  while (true) {
    size_t end = list.find_first_of(separators, start);
    std::string_view element = list.substr(start, end == list.npos ? list.npos : end - start);
    dirs.push_back(AbsoluteInImage(ExpandDynamicStringTokens(element, origin)));
    if (end == list.npos) {
      return dirs;
    }
    start = end + 1;
  }
}

bool IsIdentifierChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Length of the token `name` at the start of `rest` ("NAME" or "{NAME}"), or 0.
size_t MatchToken(std::string_view rest, std::string_view name) {
  if (rest.starts_with(StrCat("{", name, "}"))) {
    return name.size() + 2;
  }
  if (rest.starts_with(name) &&
      (rest.size() == name.size() || !IsIdentifierChar(rest[name.size()]))) {
    return name.size();
  }
  return 0;
}

class Walker {
 public:
  explicit Walker(const WalkOptions& options) : options_(options), fs_(options.root) {}

  absl::StatusOr<DependencyClosure> Run(std::string_view program) {
    NP_RETURN_IF_ERROR(LoadProgram(program));
    if (closure_.objects[0].elf.interpreter.has_value()) {
      NP_RETURN_IF_ERROR(LoadInterpreter(*closure_.objects[0].elf.interpreter));
    }
    // Breadth-first, as ld.so's _dl_map_object_deps: objects appended while
    // walking are walked in turn. ld.so itself needs nothing.
    for (size_t i = 0; i < closure_.objects.size(); ++i) {
      if (closure_.objects[i].role == ObjectRole::kInterpreter) {
        continue;
      }
      std::vector<std::string> needed = closure_.objects[i].elf.needed;
      for (const std::string& name : needed) {
        NP_RETURN_IF_ERROR(LoadNeeded(i, name));
      }
    }
    return std::move(closure_);
  }

 private:
  absl::Status LoadProgram(std::string_view program) {
    if (program.empty()) {
      return absl::InvalidArgumentError("program path is empty");
    }
    std::string path(program);
    if (!path.starts_with('/') && options_.root.empty()) {
      std::error_code error;
      path = std::filesystem::absolute(path, error).string();
      if (error) {
        return absl::ErrnoToStatus(error.value(), StrCat("program ", program));
      }
    }
    path = AbsoluteInImage(path);
    NP_ASSIGN_OR_RETURN(std::optional<ResolvedPath> resolved, Locate(path));
    if (!resolved.has_value()) {
      return absl::FailedPreconditionError(StrCat("program ", path, ": not found"));
    }
    NP_ASSIGN_OR_RETURN(Candidate found, Read(path, *std::move(resolved)));
    Add(ObjectRole::kProgram, std::string(program), std::move(found), kNoLoader);
    return absl::OkStatus();
  }

  absl::Status LoadInterpreter(const std::string& interpreter) {
    // The kernel maps the interpreter itself: no search, no skipping.
    std::string path = AbsoluteInImage(interpreter);
    NP_ASSIGN_OR_RETURN(std::optional<ResolvedPath> resolved, Locate(path));
    if (!resolved.has_value()) {
      return absl::FailedPreconditionError(StrCat("interpreter ", interpreter, " needed by ",
                                                  closure_.objects[0].path, ": not found"));
    }
    NP_ASSIGN_OR_RETURN(Candidate found, Read(path, *std::move(resolved)));
    Add(ObjectRole::kInterpreter, interpreter, std::move(found), 0);
    return absl::OkStatus();
  }

  absl::Status LoadNeeded(size_t loader, const std::string& name) {
    if (by_name_.contains(name)) {
      return absl::OkStatus();
    }
    NP_ASSIGN_OR_RETURN(Candidate found, Search(loader, name));
    // The same file under another name (ld.so compares device and inode).
    if (auto it = by_name_.find(found.resolved.real_path); it != by_name_.end()) {
      by_name_.emplace(name, it->second);
      return absl::OkStatus();
    }
    NP_RETURN_IF_ERROR(CheckLoadable(found, loader));
    Add(ObjectRole::kLibrary, name, std::move(found), loader);
    return absl::OkStatus();
  }

  absl::Status CheckLoadable(const Candidate& found, size_t loader) const {
    std::string_view what;
    if (found.elf.type == kEtExec) {
      what = "an executable (ET_EXEC)";
    } else if ((found.elf.flags_1 & kDf1Pie) != 0) {
      what = "a position-independent executable";
    } else {
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError(StrCat(found.path, ": cannot load ", what,
                                             " as a library needed by ",
                                             closure_.objects[loader].path));
  }

  absl::StatusOr<Candidate> Search(size_t loader, const std::string& name) {
    std::vector<std::string> skipped;
    const std::string& needed_by = closure_.objects[loader].path;
    if (name.find('/') != std::string::npos) {
      std::string path = AbsoluteInImage(ExpandDynamicStringTokens(name, Origin(loader)));
      NP_ASSIGN_OR_RETURN(std::optional<Candidate> found, Try(path, skipped));
      if (found.has_value()) {
        return *std::move(found);
      }
      return absl::FailedPreconditionError(
          StrCat(name, " needed by ", needed_by, ": not found at ", path, SkippedSuffix(skipped)));
    }
    std::vector<SearchStep> steps = SearchOrder(loader);
    for (const SearchStep& step : steps) {
      NP_ASSIGN_OR_RETURN(std::optional<Candidate> found, TryStep(step, name, skipped));
      if (found.has_value()) {
        return *std::move(found);
      }
    }
    std::vector<std::string> where;
    for (const SearchStep& step : steps) {
      where.push_back(step.is_cache ? step.label
                                    : StrCat(step.label, " [", StrJoin(step.dirs, ", "), "]"));
    }
    return absl::FailedPreconditionError(StrCat(name, " needed by ", needed_by, ": not found in ",
                                                StrJoin(where, ", "), SkippedSuffix(skipped)));
  }

  absl::StatusOr<std::optional<Candidate>> TryStep(const SearchStep& step, const std::string& name,
                                                   std::vector<std::string>& skipped) {
    if (step.is_cache) {
      NP_ASSIGN_OR_RETURN(std::optional<std::string> path, CacheLookup(name));
      if (!path.has_value()) {
        return std::nullopt;
      }
      return Try(*path, skipped);
    }
    for (const std::string& dir : step.dirs) {
      NP_ASSIGN_OR_RETURN(std::optional<Candidate> found, Try(JoinPath(dir, name), skipped));
      if (found.has_value()) {
        return found;
      }
    }
    return std::nullopt;
  }

  // The search steps for a name needed by objects_[loader], in ld.so's order.
  std::vector<SearchStep> SearchOrder(size_t loader) const {
    std::vector<SearchStep> steps;
    const ElfFile& elf = closure_.objects[loader].elf;
    if (!elf.runpath.has_value()) {
      for (size_t i = loader; i != kNoLoader; i = loader_of_[i]) {
        const ElfFile& chain = closure_.objects[i].elf;
        if (chain.rpath.has_value() && !chain.runpath.has_value()) {
          steps.push_back({.label = StrCat("RPATH of ", closure_.objects[i].path),
                           .dirs = SplitSearchList(*chain.rpath, ":", Origin(i))});
        }
      }
    }
    if (!options_.ld_library_path.empty()) {
      // ld.so expands $ORIGIN in LD_LIBRARY_PATH relative to the program.
      steps.push_back({.label = "LD_LIBRARY_PATH",
                       .dirs = SplitSearchList(options_.ld_library_path, ":;", Origin(0))});
    }
    if (elf.runpath.has_value()) {
      steps.push_back({.label = StrCat("RUNPATH of ", closure_.objects[loader].path),
                       .dirs = SplitSearchList(*elf.runpath, ":", Origin(loader))});
    }
    if ((elf.flags_1 & kDf1NoDefLib) == 0) {
      steps.push_back({.is_cache = true, .label = options_.ld_so_cache});
      steps.push_back({.label = "default dirs", .dirs = options_.default_dirs});
    }
    return steps;
  }

  // The file at `path`, or nullopt when it does not exist or is not a
  // regular file (ld.so moves on to the next directory then).
  absl::StatusOr<std::optional<ResolvedPath>> Locate(const std::string& path) const {
    absl::StatusOr<ResolvedPath> resolved = fs_.Resolve(path);
    if (absl::IsNotFound(resolved.status())) {
      return std::nullopt;
    }
    NP_RETURN_IF_ERROR(resolved.status());
    if (!resolved->regular_file) {
      return std::nullopt;
    }
    return *std::move(resolved);
  }

  absl::StatusOr<Candidate> Read(const std::string& path, ResolvedPath resolved) const {
    NP_ASSIGN_OR_RETURN(ElfFile elf, ReadElfFile(fs_.HostPath(resolved.real_path)));
    return Candidate{.path = path, .resolved = std::move(resolved), .elf = std::move(elf)};
  }

  // A library candidate of another ELF class or machine is no match
  // (nullopt), as for ld.so; anything else wrong with it is an error.
  absl::StatusOr<std::optional<Candidate>> Try(const std::string& path,
                                               std::vector<std::string>& skipped) const {
    NP_ASSIGN_OR_RETURN(std::optional<ResolvedPath> resolved, Locate(path));
    if (!resolved.has_value()) {
      return std::nullopt;
    }
    NP_ASSIGN_OR_RETURN(std::string header, fs_.ReadPrefix(resolved->real_path, kElfHeaderSize));
    ElfMatch match = MatchElfHeader(header);
    if (match == ElfMatch::kOtherClass || match == ElfMatch::kOtherMachine) {
      skipped.push_back(
          StrCat(path, match == ElfMatch::kOtherClass ? " (not 64-bit)" : " (not x86-64)"));
      return std::nullopt;
    }
    return Read(path, *std::move(resolved));
  }

  absl::StatusOr<std::optional<std::string>> CacheLookup(const std::string& name) {
    if (!cache_.has_value()) {
      NP_ASSIGN_OR_RETURN(cache_, LdSoCache::Load(fs_.HostPath(options_.ld_so_cache)));
    }
    return cache_->Lookup(name);
  }

  // $ORIGIN: ld.so takes the program's from /proc/self/exe (symlinks
  // resolved) and a library's from the path it was found under.
  std::string Origin(size_t index) const {
    const LoadedObject& object = closure_.objects[index];
    return DirName(object.role == ObjectRole::kProgram ? object.real_path : object.path);
  }

  void Add(ObjectRole role, std::string name, Candidate found, size_t loader) {
    size_t index = closure_.objects.size();
    for (Symlink& link : found.resolved.links) {
      AddEntry({.kind = ImageEntry::Kind::kSymlink,
                .image_path = std::move(link.path),
                .link_target = std::move(link.target)});
    }
    AddEntry({.kind = ImageEntry::Kind::kFile,
              .image_path = found.resolved.real_path,
              .host_path = fs_.HostPath(found.resolved.real_path)});
    for (const std::string* key : {&name, &found.path, &found.resolved.real_path}) {
      by_name_.emplace(*key, index);
    }
    if (found.elf.soname.has_value()) {
      by_name_.emplace(*found.elf.soname, index);
    }
    loader_of_.push_back(loader);
    closure_.objects.push_back(LoadedObject{
        .role = role,
        .name = std::move(name),
        .path = std::move(found.path),
        .real_path = std::move(found.resolved.real_path),
        .needed_by = loader == kNoLoader ? "" : closure_.objects[loader].real_path,
        .elf = std::move(found.elf),
    });
  }

  void AddEntry(ImageEntry entry) {
    if (entry_paths_.insert(entry.image_path).second) {
      closure_.entries.push_back(std::move(entry));
    }
  }

  static std::string SkippedSuffix(const std::vector<std::string>& skipped) {
    return skipped.empty() ? "" : StrCat("; skipped ", StrJoin(skipped, ", "));
  }

  const WalkOptions& options_;
  RootFs fs_;
  DependencyClosure closure_;
  std::vector<size_t> loader_of_;          // parallel to closure_.objects
  std::map<std::string, size_t> by_name_;  // requested names, sonames and paths
  std::set<std::string> entry_paths_;
  std::optional<LdSoCache> cache_;
};

}  // namespace

std::vector<std::string> DefaultLibraryDirs() {
  return {"/lib/x86_64-linux-gnu",
          "/usr/lib/x86_64-linux-gnu",
          "/lib64",
          "/usr/lib64",
          "/lib",
          "/usr/lib"};
}

std::string ExpandDynamicStringTokens(std::string_view text, std::string_view origin) {
  const std::pair<std::string_view, std::string_view> tokens[] = {
      {"ORIGIN", origin}, {"LIB", kDstLib}, {"PLATFORM", kDstPlatform}};
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t consumed = 0;
    if (text[i] == '$') {
      for (const auto& [token, value] : tokens) {
        consumed = MatchToken(text.substr(i + 1), token);
        if (consumed > 0) {
          out.append(value);
          break;
        }
      }
    }
    if (consumed == 0) {
      out.push_back(text[i]);
      i += 1;
    } else {
      i += 1 + consumed;
    }
  }
  return out;
}

absl::StatusOr<DependencyClosure> WalkDependencies(std::string_view program,
                                                   const WalkOptions& options) {
  return Walker(options).Run(program);
}

}  // namespace nanoplane::image
