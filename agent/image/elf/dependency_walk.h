#pragma once

// WalkDependencies: the files the dynamic loader would load for a program,
// found by reading ELF headers the way glibc's ld.so (2.36, Debian 12)
// searches for them; the program is never executed.
//
// Order: the program, its interpreter (PT_INTERP), then the DT_NEEDED
// closure breadth-first, as ld.so loads it. Each DT_NEEDED name without a
// '/' is searched in
//   1. DT_RPATH of the object that needs it, then of that object's loader,
//      and so on up to the program (only when the object has no DT_RUNPATH;
//      an object with DT_RUNPATH has its DT_RPATH ignored everywhere),
//   2. LD_LIBRARY_PATH,
//   3. DT_RUNPATH of the object that needs it,
//   4. ld.so.cache, then 5. the default directories (both skipped for an
//      object linked with -z nodefaultlib).
// $ORIGIN, $LIB and $PLATFORM (also as ${...}) are expanded in RPATH,
// RUNPATH, LD_LIBRARY_PATH and names containing '/'; names with '/' are used
// as paths. A candidate of another ELF class or machine is skipped and the
// search goes on, as ld.so does; any other defect in a candidate is an error.
// Relative directories count from "/", the working directory in the image.
// glibc-hwcaps and legacy hwcap subdirectories are not searched: the image
// must run on any x86-64 CPU, so it takes the baseline libraries.
//
// Errors: FailedPrecondition when the program, its interpreter or a library
// cannot be found ("libfoo.so.1 needed by /usr/bin/x: not found in ...");
// InvalidArgument (naming the file) when one of them is not a usable x86-64
// ELF file or ld.so.cache is corrupt; errno-derived codes for I/O errors.
// Thread-compatible: each call reads the filesystem and keeps no state.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/image/elf/elf_file.h"

namespace nanoplane::image {

// What Debian's glibc expands $LIB and $PLATFORM to on x86-64.
inline constexpr std::string_view kDstLib = "lib/x86_64-linux-gnu";
inline constexpr std::string_view kDstPlatform = "x86_64";

// ld.so's built-in search path on Debian x86-64, plus the lib64 directories
// other distributions use.
std::vector<std::string> DefaultLibraryDirs();

struct WalkOptions {
  // Host directory standing for the image's "/"; all paths below, and all
  // absolute symlink targets, are inside it. Empty means the host's root.
  std::string root;
  // LD_LIBRARY_PATH from the spec's environment (':' or ';' separated).
  std::string ld_library_path;
  // Path of ld.so.cache inside the root. A missing cache is skipped.
  std::string ld_so_cache = "/etc/ld.so.cache";
  std::vector<std::string> default_dirs = DefaultLibraryDirs();
};

enum class ObjectRole { kProgram, kInterpreter, kLibrary };

// One ELF object the loader maps.
struct LoadedObject {
  ObjectRole role = ObjectRole::kLibrary;
  std::string name;       // as requested: DT_NEEDED entry, PT_INTERP, program path
  std::string path;       // where it was found, in the image (may pass through symlinks)
  std::string real_path;  // the same file with every symlink resolved
  std::string needed_by;  // real_path of the object that loaded it; empty for the program
  ElfFile elf;
};

// One thing to put in the image. Symlinks stay symlinks, so the image
// resolves the same names to the same files as the host did.
struct ImageEntry {
  enum class Kind { kFile, kSymlink };

  Kind kind = Kind::kFile;
  std::string image_path;   // absolute path in the image
  std::string host_path;    // kFile: where to read the contents on the host
  std::string link_target;  // kSymlink: the link's contents, verbatim

  bool operator==(const ImageEntry&) const = default;
};

struct DependencyClosure {
  std::vector<LoadedObject> objects;  // program, interpreter, libraries in load order
  // Each image path once; a symlink comes before the file it leads to.
  std::vector<ImageEntry> entries;
};

// Walks the closure of the program at the absolute in-root path `program`
// (a relative path counts from the current directory when options.root is
// empty). A static program yields only itself.
[[nodiscard]] absl::StatusOr<DependencyClosure> WalkDependencies(std::string_view program,
                                                                 const WalkOptions& options);

// Expands $ORIGIN (to `origin`), $LIB and $PLATFORM in `text`; an unknown
// "$NAME" is kept verbatim, as ld.so keeps it.
std::string ExpandDynamicStringTokens(std::string_view text, std::string_view origin);

}  // namespace nanoplane::image
