#pragma once

// Planning an image: every path that goes into the root and boot filesystems,
// where its content comes from, and the manifest. Reads the filesystem (the
// ELF walk, package and directory listings) but writes nothing.

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "agent/image/builder/build_request.h"
#include "agent/image/builder/file_digests.h"
#include "agent/image/release/release_store.h"
#include "agent/image/tfs/tfs_tree.h"

namespace nanoplane::image {

struct PlannedEntry {
  enum class Kind { kFile, kSymlink, kDirectory };
  Kind kind = Kind::kFile;
  std::string host_path;    // kFile: content from this host file...
  std::string content;      // ...or this inline content when host_path is empty
  std::string link_target;  // kSymlink
  std::string origin;       // for messages: "program", "files[2]", "package python_3.11", ...
};

struct ImagePlan {
  std::map<std::string, PlannedEntry> root;  // absolute image path -> entry
  std::map<std::string, PlannedEntry> boot;  // /kernel, /klib/NAME
  Tuple manifest;                            // the root tuple but for its file tree
  std::string nanos_version;
  uint64_t base_volume_size = 0;
};

// InvalidArgument / FailedPrecondition naming the input at fault: a program that
// is not an x86-64 ELF, a missing library (and who needs it), a missing file or
// directory, a klib the release lacks, a path that lies below a file.
[[nodiscard]] absl::StatusOr<ImagePlan> PlanImage(const BuildRequest& request,
                                                  const NanosRelease& release);

// The filesystem trees to write.
[[nodiscard]] absl::StatusOr<TfsTree> RootTree(const ImagePlan& plan);
[[nodiscard]] absl::StatusOr<TfsTree> BootTree(const ImagePlan& plan);

// The manifest in Nanos's textual syntax, with the file tree as
// name:(contents:(host:PATH)) entries.
std::string ManifestText(const ImagePlan& plan);

// The cache key: sha256 over the manifest, every path, and every file's content.
[[nodiscard]] absl::StatusOr<std::string> ImageKey(const ImagePlan& plan, FileDigests& digests);

}  // namespace nanoplane::image
