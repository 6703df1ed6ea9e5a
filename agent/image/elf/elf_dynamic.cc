// PT_DYNAMIC and Go detection for ElfFile. The dynamic section refers to its
// strings by virtual address (DT_STRTAB), so it is mapped back to a file
// offset through the PT_LOAD segments, exactly as ld.so sees it once loaded.

#include <charconv>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/image/elf/elf_internal.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::image::internal {
namespace {

constexpr uint64_t kDtNull = 0;
constexpr uint64_t kDtNeeded = 1;
constexpr uint64_t kDtStrtab = 5;
constexpr uint64_t kDtStrsz = 10;
constexpr uint64_t kDtSoname = 14;
constexpr uint64_t kDtRpath = 15;
constexpr uint64_t kDtRunpath = 29;
constexpr uint64_t kDtFlags1 = 0x6ffffffb;
constexpr uint64_t kDynSize = 16;
constexpr uint64_t kShdrSize = 64;
constexpr uint32_t kNtGoBuildId = 4;

std::string Hex(uint64_t value) {
  char buffer[16];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value, 16);
  return std::string(buffer, result.ptr);
}

// The string-valued tags, still as offsets into DT_STRTAB.
struct DynamicTags {
  std::vector<uint64_t> needed;
  std::optional<uint64_t> strtab, strsz, soname, rpath, runpath;
  uint64_t flags_1 = 0;

  bool HasStrings() const {
    return !needed.empty() || soname.has_value() || rpath.has_value() || runpath.has_value();
  }
};

DynamicTags ReadTags(const ByteReader& reader, const ProgramHeader& dynamic) {
  DynamicTags tags;
  for (uint64_t i = 0; i < dynamic.filesz / kDynSize; ++i) {
    uint64_t at = dynamic.offset + i * kDynSize;
    uint64_t tag = *reader.Read<uint64_t>(at);
    uint64_t value = *reader.Read<uint64_t>(at + 8);
    switch (tag) {
      case kDtNull:
        return tags;
      case kDtNeeded:
        tags.needed.push_back(value);
        break;
      case kDtStrtab:
        tags.strtab = value;
        break;
      case kDtStrsz:
        tags.strsz = value;
        break;
      case kDtSoname:
        tags.soname = value;
        break;
      case kDtRpath:
        tags.rpath = value;
        break;
      case kDtRunpath:
        tags.runpath = value;
        break;
      case kDtFlags1:
        tags.flags_1 = value;
        break;
      default:
        break;
    }
  }
  return tags;
}

// The string table as a file range [offset, offset + size).
struct StringTable {
  uint64_t offset = 0;
  uint64_t size = 0;
};

absl::StatusOr<StringTable> LocateStrtab(const ByteReader& reader, const ElfFile& elf,
                                         const DynamicTags& tags) {
  if (!tags.strtab.has_value()) {
    return ElfError(elf.name, "corrupt dynamic section: string tags but no DT_STRTAB");
  }
  uint64_t address = *tags.strtab;
  for (const ProgramHeader& ph : elf.program_headers) {
    if (ph.type != kPtLoad || address < ph.vaddr || address - ph.vaddr >= ph.filesz) {
      continue;
    }
    uint64_t delta = address - ph.vaddr;
    uint64_t available = ph.filesz - delta;
    if (ph.offset > UINT64_MAX - delta) {
      return ElfError(elf.name, "corrupt program header: PT_LOAD offset overflows");
    }
    StringTable table{
        .offset = ph.offset + delta,
        .size = tags.strsz.has_value() && *tags.strsz < available ? *tags.strsz : available};
    if (!reader.InRange(table.offset, table.size)) {
      return ElfError(elf.name, StrCat("truncated: DT_STRTAB at file offset 0x", Hex(table.offset),
                                       " runs past the end of the file"));
    }
    return table;
  }
  return ElfError(elf.name, StrCat("corrupt dynamic section: DT_STRTAB address 0x", Hex(address),
                                   " is in no PT_LOAD segment"));
}

absl::StatusOr<std::string> ReadString(const ByteReader& reader, const ElfFile& elf,
                                       const StringTable& table, uint64_t index,
                                       std::string_view tag) {
  if (index >= table.size) {
    return ElfError(elf.name, StrCat("corrupt dynamic section: ", tag, " string offset ", index,
                                     " outside DT_STRTAB (size ", table.size, ")"));
  }
  std::optional<std::string_view> text =
      reader.CString(table.offset + index, table.offset + table.size);
  if (!text.has_value()) {
    return ElfError(elf.name,
                    StrCat("corrupt dynamic section: ", tag, " string is not terminated"));
  }
  return std::string(*text);
}

absl::Status ReadOptionalString(const ByteReader& reader, const ElfFile& elf,
                                const StringTable& table, const std::optional<uint64_t>& index,
                                std::string_view tag, std::optional<std::string>& out) {
  if (!index.has_value()) {
    return absl::OkStatus();
  }
  NP_ASSIGN_OR_RETURN(out, ReadString(reader, elf, table, *index, tag));
  return absl::OkStatus();
}

bool NotesHaveGoBuildId(const ByteReader& reader, const ProgramHeader& note) {
  if (!reader.InRange(note.offset, note.filesz)) {
    return false;
  }
  uint64_t align = note.align == 8 ? 8 : 4;
  auto round_up = [align](uint64_t n) { return (n + align - 1) / align * align; };
  uint64_t end = note.offset + note.filesz;
  uint64_t pos = note.offset;
  while (pos + 12 <= end) {
    uint32_t namesz = *reader.Read<uint32_t>(pos);
    uint32_t descsz = *reader.Read<uint32_t>(pos + 4);
    uint32_t type = *reader.Read<uint32_t>(pos + 8);
    std::optional<std::string_view> name = reader.Slice(pos + 12, namesz);
    if (name.has_value() && type == kNtGoBuildId && *name == std::string_view("Go\0", 3)) {
      return true;
    }
    pos += 12 + round_up(namesz) + round_up(descsz);
  }
  return false;
}

bool SectionsLookLikeGo(const ByteReader& reader, const ElfHeaderFields& header) {
  if (header.shentsize != kShdrSize || header.shstrndx >= header.shnum ||
      !reader.InRange(header.shoff, uint64_t{header.shnum} * kShdrSize)) {
    return false;
  }
  uint64_t names_header = header.shoff + uint64_t{header.shstrndx} * kShdrSize;
  uint64_t names_offset = *reader.Read<uint64_t>(names_header + 24);
  uint64_t names_size = *reader.Read<uint64_t>(names_header + 32);
  if (!reader.InRange(names_offset, names_size)) {
    return false;
  }
  for (uint64_t i = 0; i < header.shnum; ++i) {
    uint32_t name_index = *reader.Read<uint32_t>(header.shoff + i * kShdrSize);
    std::optional<std::string_view> name =
        reader.CString(names_offset + name_index, names_offset + names_size);
    if (name == ".go.buildinfo" || name == ".note.go.buildid" || name == ".gopclntab") {
      return true;
    }
  }
  return false;
}

}  // namespace

absl::Status ParseDynamic(const ByteReader& reader, ElfFile& elf) {
  const ProgramHeader* dynamic = nullptr;
  for (const ProgramHeader& ph : elf.program_headers) {
    if (ph.type == kPtDynamic) {
      dynamic = &ph;
      break;
    }
  }
  if (dynamic == nullptr) {
    return absl::OkStatus();
  }
  elf.has_dynamic = true;
  if (!reader.InRange(dynamic->offset, dynamic->filesz)) {
    return ElfError(elf.name, "truncated: PT_DYNAMIC runs past the end of the file");
  }
  DynamicTags tags = ReadTags(reader, *dynamic);
  elf.flags_1 = tags.flags_1;
  if (!tags.HasStrings()) {
    return absl::OkStatus();
  }
  NP_ASSIGN_OR_RETURN(StringTable table, LocateStrtab(reader, elf, tags));
  for (uint64_t index : tags.needed) {
    NP_ASSIGN_OR_RETURN(std::string name, ReadString(reader, elf, table, index, "DT_NEEDED"));
    elf.needed.push_back(std::move(name));
  }
  NP_RETURN_IF_ERROR(ReadOptionalString(reader, elf, table, tags.soname, "DT_SONAME", elf.soname));
  NP_RETURN_IF_ERROR(ReadOptionalString(reader, elf, table, tags.rpath, "DT_RPATH", elf.rpath));
  return ReadOptionalString(reader, elf, table, tags.runpath, "DT_RUNPATH", elf.runpath);
}

bool DetectGo(const ByteReader& reader, const ElfFile& elf, const ElfHeaderFields& header) {
  for (const ProgramHeader& ph : elf.program_headers) {
    if (ph.type == kPtNote && NotesHaveGoBuildId(reader, ph)) {
      return true;
    }
  }
  return SectionsLookLikeGo(reader, header);
}

}  // namespace nanoplane::image::internal
