#include "agent/image/disk/bootable_disk.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/image/tfs/tfs_writer.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::image {
namespace {

constexpr size_t kPartitionTable = 0x1BE;
constexpr size_t kPartitionEntrySize = 16;
constexpr size_t kRegionRecordSize = 20;  // u64 base, u64 length, u32 type
constexpr uint32_t kRegionFilesystem = 12;
constexpr uint8_t kLinuxPartition = 0x83;

uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;  // x86-64 only: the image format is little-endian like the host
}

uint32_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// Cylinder-head-sector address, as Nanos's own mkfs writes it (no firmware
// reads it: they boot by LBA).
void WriteChs(uint8_t* chs, uint64_t offset) {
  constexpr uint64_t kSectorsPerTrack = 63, kHeads = 255, kMaxCylinder = 1023;
  uint64_t sector = offset / kSectorSize;
  uint64_t cylinder = (sector / kSectorsPerTrack) / kHeads;
  uint64_t head = (sector / kSectorsPerTrack) % kHeads;
  uint64_t s = (sector % kSectorsPerTrack) + 1;
  if (cylinder > kMaxCylinder) {
    cylinder = kMaxCylinder;
    head = 254;
    s = 63;
  }
  chs[0] = static_cast<uint8_t>(head);
  chs[1] = static_cast<uint8_t>((cylinder >> 8) | s);
  chs[2] = static_cast<uint8_t>(cylinder & 0xff);
}

void WritePartitionEntry(char* sector, int index, uint64_t offset, uint64_t size) {
  uint8_t entry[kPartitionEntrySize] = {};
  entry[0] = 0x80;  // active, as mkfs marks both partitions
  WriteChs(entry + 1, offset);
  entry[4] = kLinuxPartition;
  WriteChs(entry + 5, offset + size - kSectorSize);
  uint32_t lba = static_cast<uint32_t>(offset / kSectorSize);
  uint32_t sectors = static_cast<uint32_t>(size / kSectorSize);
  std::memcpy(entry + 8, &lba, 4);
  std::memcpy(entry + 12, &sectors, 4);
  std::memcpy(sector + kPartitionTable + index * kPartitionEntrySize, entry, sizeof(entry));
}

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::InternalError(StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status CopyBootImage(const std::string& from, int out, const std::string& to,
                           uint64_t limit) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    return Errno("open", from);
  }
  std::string buffer(1 << 16, '\0');
  uint64_t copied = 0;
  absl::Status status;
  while (status.ok()) {
    ssize_t n = ::read(in, buffer.data(), buffer.size());
    if (n == 0) {
      break;
    }
    if (n < 0 || ::write(out, buffer.data(), static_cast<size_t>(n)) != n) {
      status = Errno(n < 0 ? "read" : "write", n < 0 ? from : to);
      break;
    }
    copied += static_cast<uint64_t>(n);
    if (copied > limit) {
      status = absl::InvalidArgumentError(
          StrCat(from, ": larger than its stage1 says (", limit, " bytes)"));
    }
  }
  ::close(in);
  return status;
}

absl::StatusOr<std::string> ReadFirstSector(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Errno("open", path);
  }
  std::string sector(kSectorSize, '\0');
  ssize_t n = ::pread(fd, sector.data(), kSectorSize, 0);
  ::close(fd);
  if (n != static_cast<ssize_t>(kSectorSize)) {
    return absl::InvalidArgumentError(StrCat(path, ": shorter than one sector"));
  }
  return sector;
}

}  // namespace

absl::StatusOr<uint64_t> BootFsOffset(std::string_view first_sector) {
  if (first_sector.size() < kSectorSize || static_cast<uint8_t>(first_sector[510]) != 0x55 ||
      static_cast<uint8_t>(first_sector[511]) != 0xAA) {
    return absl::InvalidArgumentError("not a boot sector (no 0xAA55 signature)");
  }
  const char* region = first_sector.data() + kPartitionTable - kRegionRecordSize;
  uint64_t stage2_length = Load64(region + 8);
  if (Load32(region + 16) != kRegionFilesystem) {
    return absl::InvalidArgumentError("not a Nanos stage1 (no filesystem region record)");
  }
  uint64_t offset = kSectorSize + stage2_length + kKernelLogDumpSize;
  if (offset % kSectorSize != 0 || stage2_length > (64ULL << 20)) {
    return absl::InvalidArgumentError(
        StrCat("not a Nanos stage1 (stage2 length ", stage2_length, ")"));
  }
  return offset;
}

DiskLayout LayoutDisk(uint64_t boot_fs_offset, uint64_t root_fs_size) {
  DiskLayout layout;
  layout.boot_fs_offset = boot_fs_offset;
  layout.root_fs_offset = boot_fs_offset + kBootFsSize;
  layout.root_fs_size = root_fs_size;
  layout.total_size = layout.root_fs_offset + root_fs_size;
  return layout;
}

absl::StatusOr<DiskLayout> WriteBootableDisk(const std::string& path,
                                             const DiskContents& contents) {
  NP_ASSIGN_OR_RETURN(std::string stage1, ReadFirstSector(contents.boot_img_path));
  auto boot_fs_offset = BootFsOffset(stage1);
  if (!boot_fs_offset.ok()) {
    return Annotate(boot_fs_offset.status(), contents.boot_img_path);
  }
  TfsWriteOptions root_options{.label = "", .size_bytes = contents.root_fs_size};
  NP_ASSIGN_OR_RETURN(uint64_t root_size, ComputeTfsSize(*contents.root_tree, root_options));
  DiskLayout layout = LayoutDisk(*boot_fs_offset, root_size);

  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Errno("create", path);
  }
  absl::Status status =
      CopyBootImage(contents.boot_img_path, fd, path, *boot_fs_offset - kKernelLogDumpSize);
  if (status.ok() && ::ftruncate(fd, static_cast<off_t>(layout.total_size)) != 0) {
    status = Errno("size", path);
  }
  ::close(fd);
  NP_RETURN_IF_ERROR(status);

  NP_RETURN_IF_ERROR(Annotate(
      WriteTfs(*contents.boot_tree, path, layout.boot_fs_offset, {.size_bytes = kBootFsSize})
          .status(),
      "boot filesystem"));
  NP_RETURN_IF_ERROR(
      Annotate(WriteTfs(*contents.root_tree, path, layout.root_fs_offset, {.size_bytes = root_size})
                   .status(),
               "root filesystem"));

  // The partition table goes in last: a disk is bootable only when complete.
  WritePartitionEntry(stage1.data(), 0, layout.boot_fs_offset, kBootFsSize);
  WritePartitionEntry(stage1.data(), 1, layout.root_fs_offset, root_size);
  fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0 || ::pwrite(fd, stage1.data(), kSectorSize, 0) != static_cast<ssize_t>(kSectorSize)) {
    status = Errno("write partition table of", path);
  }
  if (fd >= 0) {
    ::close(fd);
  }
  NP_RETURN_IF_ERROR(status);
  return layout;
}

absl::StatusOr<Partition> ReadPartition(const std::string& disk_path, int index) {
  NP_ASSIGN_OR_RETURN(std::string sector, ReadFirstSector(disk_path));
  if (index < 0 || index > 3 || static_cast<uint8_t>(sector[510]) != 0x55 ||
      static_cast<uint8_t>(sector[511]) != 0xAA) {
    return absl::InvalidArgumentError(StrCat(disk_path, ": no partition table"));
  }
  const char* entry = sector.data() + kPartitionTable + index * kPartitionEntrySize;
  uint64_t lba = Load32(entry + 8);
  uint64_t sectors = Load32(entry + 12);
  if (entry[4] == 0 || sectors == 0) {
    return absl::NotFoundError(StrCat(disk_path, ": partition ", index + 1, " is empty"));
  }
  return Partition{lba * kSectorSize, sectors * kSectorSize};
}

}  // namespace nanoplane::image
