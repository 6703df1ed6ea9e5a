#pragma once

// Internal to the TFS writer: where everything goes, decided before any byte
// is written.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/image/tfs/tfs_log.h"
#include "agent/image/tfs/tfs_tree.h"
#include "agent/image/tfs/tfs_writer.h"

namespace nanoplane::image {

// A regular file's data occupies the contiguous sectors
// [first_sector, first_sector + ceil(size / 512)); its extents split that run
// every kTfsMaxExtentBytes. Files of 4 KiB or more start 4 KiB aligned, so
// all their extents are aligned; smaller files are packed sector by sector.
struct PlannedFile {
  const TfsTree::Node* node = nullptr;
  std::string path;  // For error messages.
  uint64_t size = 0;
  uint64_t first_sector = 0;
};

struct TfsLayout {
  std::vector<PlannedFile> files;  // In tree order, which is also disk order.
  std::vector<LogExtension> log;
  uint64_t end_sector = 0;  // One past the last used sector.
  uint64_t size_bytes = 0;
  TfsUuid uuid{};
};

[[nodiscard]] absl::StatusOr<TfsLayout> PlanTfs(const TfsTree& tree,
                                                const TfsWriteOptions& options);

// Copies every planned file's content to its sectors of the filesystem that
// starts at byte `offset` of `fd`.
[[nodiscard]] absl::Status CopyFileData(const TfsLayout& layout, int fd, uint64_t offset,
                                        const std::string& image_path);

}  // namespace nanoplane::image
