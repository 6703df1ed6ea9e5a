#include "agent/image/elf/ld_so_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "agent/image/elf/byte_reader.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::image {
namespace {

using internal::ByteReader;

constexpr std::string_view kOldMagic = "ld.so-1.7.0";
constexpr std::string_view kNewMagic = "glibc-ld.so.cache1.1";
constexpr uint64_t kOldHeaderSize = 16;  // magic[11], pad, uint32 nlibs
constexpr uint64_t kOldEntrySize = 12;   // int32 flags, uint32 key, uint32 value
constexpr uint64_t kNewHeaderSize = 48;
constexpr uint64_t kNewEntrySize = 24;  // flags, key, value, osversion, uint64 hwcap
constexpr uint64_t kNewAlign = 8;

// ldconfig's flag values: the low byte is the library type, the next one the
// architecture.
constexpr uint32_t kFlagTypeMask = 0x00ff;
constexpr uint32_t kFlagElfLibc6 = 0x0003;
constexpr uint32_t kFlagArchMask = 0xff00;
constexpr uint32_t kFlagX8664Lib64 = 0x0300;

absl::Status CacheError(std::string_view name, std::string_view what) {
  return absl::InvalidArgumentError(StrCat(name, ": corrupt ld.so.cache: ", what));
}

// One table of entries and where its string offsets count from.
struct Table {
  uint64_t count = 0;
  uint64_t entries_offset = 0;
  uint64_t entry_size = 0;
  uint64_t strings_base = 0;
  bool has_hwcap = false;
};

bool IsX8664(uint32_t flags) {
  return (flags & kFlagTypeMask) == kFlagElfLibc6 && (flags & kFlagArchMask) == kFlagX8664Lib64;
}

absl::StatusOr<std::vector<LdSoCacheEntry>> ReadTable(const ByteReader& reader, const Table& table,
                                                      std::string_view name) {
  if (table.count > reader.size() / table.entry_size ||
      !reader.InRange(table.entries_offset, table.count * table.entry_size)) {
    return CacheError(name, StrCat("truncated: ", table.count, " entries do not fit in ",
                                   reader.size(), " bytes"));
  }
  std::vector<LdSoCacheEntry> entries;
  for (uint64_t i = 0; i < table.count; ++i) {
    uint64_t at = table.entries_offset + i * table.entry_size;
    uint32_t flags = *reader.Read<uint32_t>(at);
    uint64_t key = table.strings_base + *reader.Read<uint32_t>(at + 4);
    uint64_t value = table.strings_base + *reader.Read<uint32_t>(at + 8);
    uint64_t hwcap = table.has_hwcap ? *reader.Read<uint64_t>(at + 16) : 0;
    std::optional<std::string_view> soname = reader.CString(key, reader.size());
    std::optional<std::string_view> path = reader.CString(value, reader.size());
    if (!soname.has_value() || !path.has_value()) {
      return CacheError(name, StrCat("entry ", i, " has a string outside the file"));
    }
    if (IsX8664(flags) && hwcap == 0) {
      entries.push_back({.soname = std::string(*soname), .path = std::string(*path)});
    }
  }
  return entries;
}

absl::StatusOr<std::vector<LdSoCacheEntry>> ReadNew(const ByteReader& reader, uint64_t base,
                                                    std::string_view name) {
  if (!reader.InRange(base, kNewHeaderSize)) {
    return CacheError(name, "truncated header");
  }
  // New-format string offsets count from the start of the new header.
  Table table{.count = *reader.Read<uint32_t>(base + 20),
              .entries_offset = base + kNewHeaderSize,
              .entry_size = kNewEntrySize,
              .strings_base = base,
              .has_hwcap = true};
  return ReadTable(reader, table, name);
}

absl::StatusOr<std::vector<LdSoCacheEntry>> ReadOld(const ByteReader& reader,
                                                    std::string_view name) {
  if (!reader.InRange(0, kOldHeaderSize)) {
    return CacheError(name, "truncated header");
  }
  uint64_t count = *reader.Read<uint32_t>(12);
  if (count > reader.size() / kOldEntrySize) {
    return CacheError(name, StrCat("truncated: ", count, " legacy entries"));
  }
  uint64_t old_end = kOldHeaderSize + count * kOldEntrySize;
  // A current ldconfig writes the new table after the legacy one; prefer it.
  uint64_t new_base = (old_end + kNewAlign - 1) / kNewAlign * kNewAlign;
  std::optional<std::string_view> magic = reader.Slice(new_base, kNewMagic.size());
  if (magic == kNewMagic) {
    return ReadNew(reader, new_base, name);
  }
  // Legacy-only: string offsets count from the end of the entry table.
  Table table{.count = count,
              .entries_offset = kOldHeaderSize,
              .entry_size = kOldEntrySize,
              .strings_base = old_end};
  return ReadTable(reader, table, name);
}

}  // namespace

absl::StatusOr<LdSoCache> LdSoCache::Parse(std::string_view bytes, std::string_view name) {
  ByteReader reader(bytes);
  LdSoCache cache;
  if (bytes.substr(0, kNewMagic.size()) == kNewMagic) {
    NP_ASSIGN_OR_RETURN(cache.entries_, ReadNew(reader, 0, name));
  } else if (bytes.substr(0, kOldMagic.size()) == kOldMagic) {
    NP_ASSIGN_OR_RETURN(cache.entries_, ReadOld(reader, name));
  } else {
    return absl::InvalidArgumentError(StrCat(name, ": not an ld.so.cache (bad magic)"));
  }
  return cache;
}

absl::StatusOr<LdSoCache> LdSoCache::Load(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return LdSoCache();
    }
    return absl::ErrnoToStatus(errno, StrCat("open ", path));
  }
  std::string contents;
  char buffer[1 << 16];
  ssize_t n = 0;
  while ((n = ::read(fd, buffer, sizeof(buffer))) != 0) {
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      return absl::ErrnoToStatus(saved, StrCat("read ", path));
    }
    contents.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return Parse(contents, path);
}

std::optional<std::string> LdSoCache::Lookup(std::string_view soname) const {
  for (const LdSoCacheEntry& entry : entries_) {
    if (entry.soname == soname) {
      return entry.path;
    }
  }
  return std::nullopt;
}

}  // namespace nanoplane::image
