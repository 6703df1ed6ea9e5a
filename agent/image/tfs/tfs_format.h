#pragma once

// Constants of the Nanos TFS on-disk format (log version 5). FORMAT.md explains
// how they fit together.

#include <array>
#include <cstdint>
#include <string_view>

namespace nanoplane::image {

inline constexpr uint64_t kTfsSectorSize = 512;  // TFS block = one sector.
inline constexpr int kTfsSectorShift = 9;

inline constexpr std::string_view kTfsMagic = "NVMTFS";
inline constexpr uint64_t kTfsVersion = 5;
inline constexpr uint64_t kTfsOldVersion = 4;  // Older header bit layout; read-only.
inline constexpr size_t kTfsUuidSize = 16;
inline constexpr size_t kTfsLabelMax = 32;  // Including the terminating NUL.
using TfsUuid = std::array<uint8_t, kTfsUuidSize>;

// The first log extension is one sector at LBA 0; it only holds the header and
// a link to the first full extension.
inline constexpr uint64_t kTfsInitialLogSectors = 1;
inline constexpr uint64_t kTfsLogExtensionBytes = 512 * 1024;
inline constexpr uint64_t kTfsLogExtensionSectors = kTfsLogExtensionBytes / kTfsSectorSize;

// Log frame types.
inline constexpr uint8_t kFrameEndOfLog = 1;
inline constexpr uint8_t kFrameTupleAvailable = 2;
inline constexpr uint8_t kFrameTupleExtended = 3;
inline constexpr uint8_t kFrameEndOfSegment = 4;
inline constexpr uint8_t kFrameExtensionLink = 5;

inline constexpr size_t kMaxVarintBytes = 10;  // 64 bits in 7-bit groups.

// The kernel caps one extent at its page cache scatter-gather limit (8192
// pages of 4 KiB); larger files are split into several extents.
inline constexpr uint64_t kTfsMaxExtentBytes = 32ull * 1024 * 1024;
// Files of at least this size start on this boundary so the kernel's
// page-sized I/O on them stays aligned.
inline constexpr uint64_t kTfsExtentAlignBytes = 4096;

// Value header type field.
inline constexpr uint8_t kTypeBuffer = 0;  // Untyped bytes; also symbols (names).
inline constexpr uint8_t kTypeTuple = 1;
inline constexpr uint8_t kTypeVector = 2;
inline constexpr uint8_t kTypeInteger = 3;
inline constexpr uint8_t kTypeString = 4;

}  // namespace nanoplane::image
