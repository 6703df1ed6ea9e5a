#pragma once

// The bootable raw disk that ops makes: an MBR disk whose first sectors are the
// release's boot.img (stage1 in the MBR, stage2 after it), then a 4 KiB area
// where the kernel dumps its log on a crash, then partition 1, a 12 MiB TFS
// boot filesystem holding /kernel and /klib/*, then partition 2, the root TFS
// holding the program, its files and the manifest.
//
// The same disk also boots by direct kernel boot (QEMU -kernel kernel.img):
// the kernel finds its root filesystem through the partition table either way.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "agent/image/tfs/tfs_tree.h"

namespace nanoplane::image {

inline constexpr uint64_t kSectorSize = 512;
inline constexpr uint64_t kBootFsSize = 12ULL << 20;
inline constexpr uint64_t kKernelLogDumpSize = 4096;
inline constexpr uint64_t kTfsLogExtensionSize = 512ULL << 10;

struct DiskLayout {
  uint64_t boot_fs_offset = 0;
  uint64_t root_fs_offset = 0;
  uint64_t root_fs_size = 0;
  uint64_t total_size = 0;

  friend bool operator==(const DiskLayout&, const DiskLayout&) = default;
};

// Where the boot filesystem starts, read from stage1's filesystem region record
// (the 20 bytes before the partition table: base, length = stage2's size, type
// 12). InvalidArgument when `first_sector` is not a Nanos stage1.
[[nodiscard]] absl::StatusOr<uint64_t> BootFsOffset(std::string_view first_sector);

// The layout for a root filesystem of `root_fs_size` bytes (a multiple of 512).
DiskLayout LayoutDisk(uint64_t boot_fs_offset, uint64_t root_fs_size);

struct DiskContents {
  std::string boot_img_path;           // the release's boot.img
  const TfsTree* boot_tree = nullptr;  // /kernel, /klib/*
  const TfsTree* root_tree = nullptr;  // files and manifest
  // The root filesystem's size; 0 sizes it to fit, as mkfs does. Too small for
  // the contents is InvalidArgument.
  uint64_t root_fs_size = 0;
};

// Writes the disk to `path` (created or truncated; sparse where empty).
[[nodiscard]] absl::StatusOr<DiskLayout> WriteBootableDisk(const std::string& path,
                                                           const DiskContents& contents);

// The byte offset and size of MBR partition `index` (0-3) of a disk image.
// NotFound when the entry is empty, InvalidArgument when there is no MBR.
struct Partition {
  uint64_t offset = 0;
  uint64_t size = 0;
};
[[nodiscard]] absl::StatusOr<Partition> ReadPartition(const std::string& disk_path, int index);

}  // namespace nanoplane::image
