#pragma once

// Builds a Nanos TFS filesystem from a TfsTree, laid out as Nanos's mkfs lays
// it out: the log first (a one-sector header extension at sector 0 linking to
// 512 KiB extensions), then file data, each file contiguous in extents of at
// most 32 MiB (files of 4 KiB or more start on a 4 KiB boundary; smaller ones
// are packed by sector), then free space. The metadata is one log entry:
// the root tuple with the manifest attributes and the file tree, each file
// carrying its `extents` and `filelength`.
//
// Thread-compatible: WriteTfs only reads the tree. File contents are copied
// through one 4 MiB buffer with sequential writes.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "agent/image/tfs/tfs_format.h"
#include "agent/image/tfs/tfs_tree.h"

namespace nanoplane::image {

struct TfsWriteOptions {
  std::optional<TfsUuid> uuid;  // Random when unset.
  std::string label;            // At most kTfsLabelMax - 1 bytes.
  // The filesystem size in bytes, a multiple of 512. 0: fit the contents and
  // leave free space as mkfs does (contents + 512 KiB, rounded up to 512 KiB).
  uint64_t size_bytes = 0;
};

struct TfsWriteResult {
  uint64_t size_bytes = 0;  // The filesystem's size (the partition size).
  uint64_t used_bytes = 0;  // Log and data, up to the end of the last extent.
  uint64_t log_bytes = 0;
  uint64_t file_count = 0;
  TfsUuid uuid{};
};

// Writes the filesystem into `path` at byte `offset` (a multiple of 512), for
// example a partition of a disk image. The file is created if missing and
// never truncated; it is extended to offset + size if shorter. Bytes of the
// window not covered by the log or by file data are left as they were.
//
// Errors: InvalidArgument for bad options, a host file that is not a regular
// file, or contents that do not fit size_bytes; NotFound / PermissionDenied for
// host files; Aborted if a source changed size while being copied; Internal for
// other I/O failures.
[[nodiscard]] absl::StatusOr<TfsWriteResult> WriteTfs(const TfsTree& tree, const std::string& path,
                                                      uint64_t offset,
                                                      const TfsWriteOptions& options);

// The size WriteTfs would give the filesystem (stats host files; writes
// nothing). Same errors as WriteTfs's layout step.
[[nodiscard]] absl::StatusOr<uint64_t> ComputeTfsSize(const TfsTree& tree,
                                                      const TfsWriteOptions& options);

}  // namespace nanoplane::image
