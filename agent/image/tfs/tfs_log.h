#pragma once

// The TFS log: a chain of extensions, each a run of sectors starting with a
// header ("NVMTFS", version, its length in sectors; the first one also the
// UUID and label), followed by frames. A frame carries a whole encoded entry
// (TUPLE_AVAILABLE), or the first part of one with the rest continued
// (TUPLE_EXTENDED) in the next extension, reached through an EXTENSION_LINK.
// END_OF_LOG ends the log.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/image/tfs/tfs_format.h"
#include "agent/image/tfs/tfs_io.h"
#include "agent/image/tfs/value.h"

namespace nanoplane::image {

struct LogExtension {
  uint64_t start_sector = 0;
  uint64_t sectors = 0;
  std::string bytes;  // Exactly sectors * kTfsSectorSize, zero padded.
};

// Lays out encoded entries as the kernel would: the one-sector initial
// extension at sector 0 links to full-size extensions placed back to back from
// sector kTfsInitialLogSectors. The result is ordered by start sector.
// REQUIRES: label.size() < kTfsLabelMax.
std::vector<LogExtension> BuildLog(const TfsUuid& uuid, const std::string& label,
                                   const std::vector<std::string>& entries);

struct LogContents {
  TfsUuid uuid{};
  std::string label;
  uint64_t version = 0;
  Tuple root;
  uint64_t log_sectors = 0;  // Total sectors of all extensions.
};

// Reads and decodes the log of the filesystem in `source` (the whole
// filesystem: sector 0 is the start of the log). Any inconsistency is
// InvalidArgument. Memory use is bounded by the log's size on disk.
[[nodiscard]] absl::StatusOr<LogContents> ReadLog(const ByteSource& source);

}  // namespace nanoplane::image
