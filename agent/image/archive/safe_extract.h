#pragma once

// Unpacking untrusted archives (Nanos release tarballs, ops packages) safely:
// nothing lands outside the destination, whatever the archive says.

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace nanoplane::image {

struct ExtractLimits {
  uint64_t max_total_bytes = 8ULL << 30;  // sum of regular files' sizes
  uint64_t max_entries = 1'000'000;
};

// Extracts a tar archive (plain, gzip, xz, bzip2 or zstd) into `dest_dir`, which
// must exist and be empty. Regular files, directories and symlinks only. An
// entry is refused, and InvalidArgument names it, when its path is absolute or
// has "..", when a symlink's target is absolute or climbs out of the tree, when
// it is a hard link, device or fifo, or when a limit is exceeded. On error the
// destination may hold part of the archive: callers extract into a temporary
// directory and rename it into place only on success.
[[nodiscard]] absl::Status ExtractArchive(const std::string& archive_path,
                                          const std::string& dest_dir,
                                          const ExtractLimits& limits = {});

// True when `target`, a symlink at `link_path` (both relative to the tree's
// root), resolves inside the tree whatever the other symlinks in it are:
// "lib/a" -> "../b" stays in; "a" -> "../b" and "a" -> "lib/../b" do not (".."
// may only lead the target).
bool SymlinkStaysInside(const std::string& link_path, const std::string& target);

}  // namespace nanoplane::image
