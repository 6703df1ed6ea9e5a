#pragma once

// Pieces of the ELF parser shared between elf_file.cc and elf_dynamic.cc.
// Not part of the library's public API.

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "agent/image/elf/byte_reader.h"
#include "agent/image/elf/elf_file.h"

namespace nanoplane::image::internal {

// The ELF header fields beyond what ElfFile keeps.
struct ElfHeaderFields {
  uint64_t phoff = 0;
  uint64_t shoff = 0;
  uint16_t phentsize = 0;
  uint16_t phnum = 0;
  uint16_t shentsize = 0;
  uint16_t shnum = 0;
  uint16_t shstrndx = 0;
};

// InvalidArgument "<name>: <what>".
absl::Status ElfError(std::string_view name, std::string_view what);

// Fills needed, rpath, runpath, soname, flags_1 and has_dynamic from
// PT_DYNAMIC, resolving DT_STRTAB through the PT_LOAD segments.
// REQUIRES: elf.program_headers is filled.
[[nodiscard]] absl::Status ParseDynamic(const ByteReader& reader, ElfFile& elf);

// True when the Go toolchain built the file: a "Go" build-id note, or one of
// Go's own sections. Never fails: notes and sections are optional, so
// damage there is ignored rather than reported.
bool DetectGo(const ByteReader& reader, const ElfFile& elf, const ElfHeaderFields& header);

}  // namespace nanoplane::image::internal
