#pragma once

// ElfFile: what the image builder needs to know about one ELF64 x86-64
// program or shared library, read from bytes without executing anything.
//
// Contract: ParseElf never reads outside `bytes` and never crashes, whatever
// the input. Every failure is an InvalidArgument status whose message starts
// with the file's name and says what is wrong: not an ELF file, 32-bit,
// big-endian, wrong architecture (named), not an executable or shared
// library, truncated, or a corrupt dynamic section. ReadElfFile adds NotFound
// when the file does not exist and other errno-derived codes for I/O errors.
// Thread-safe: all functions are pure or touch only their own file.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace nanoplane::image {

inline constexpr uint32_t kPtLoad = 1;
inline constexpr uint32_t kPtDynamic = 2;
inline constexpr uint32_t kPtInterp = 3;
inline constexpr uint32_t kPtNote = 4;
inline constexpr uint16_t kEtExec = 2;
inline constexpr uint16_t kEtDyn = 3;
inline constexpr uint64_t kDf1NoDefLib = 0x800;
inline constexpr uint64_t kDf1Pie = 0x08000000;

enum class ElfKind {
  kStaticExecutable,   // ET_EXEC, no PT_INTERP (classic static, most Go binaries)
  kStaticPie,          // ET_DYN that relocates itself, no PT_INTERP
  kDynamicExecutable,  // ET_EXEC with PT_INTERP
  kDynamicPie,         // ET_DYN with PT_INTERP, built as an executable
  kSharedObject,       // a library (or ld.so itself)
};

std::string_view ElfKindName(ElfKind kind);

struct ProgramHeader {
  uint32_t type = 0;
  uint32_t flags = 0;
  uint64_t offset = 0;
  uint64_t vaddr = 0;
  uint64_t filesz = 0;
  uint64_t memsz = 0;
  uint64_t align = 0;

  bool operator==(const ProgramHeader&) const = default;
};

struct ElfFile {
  std::string name;   // the label used in error messages (usually the path)
  uint16_t type = 0;  // kEtExec or kEtDyn
  uint64_t entry = 0;
  std::vector<ProgramHeader> program_headers;
  std::optional<std::string> interpreter;  // PT_INTERP
  std::vector<std::string> needed;         // DT_NEEDED, in file order
  std::optional<std::string> rpath;        // DT_RPATH (as written, DSTs unexpanded)
  std::optional<std::string> runpath;      // DT_RUNPATH
  std::optional<std::string> soname;       // DT_SONAME
  uint64_t flags_1 = 0;                    // DT_FLAGS_1
  bool has_dynamic = false;                // has a PT_DYNAMIC segment
  bool is_go = false;                      // built by the Go toolchain
  ElfKind kind = ElfKind::kStaticExecutable;

  bool IsStatic() const {
    return kind == ElfKind::kStaticExecutable || kind == ElfKind::kStaticPie;
  }
};

// Parses an ELF64 little-endian x86-64 executable or shared library.
// `name` labels error messages ("/usr/bin/x: truncated: ...").
[[nodiscard]] absl::StatusOr<ElfFile> ParseElf(std::string_view bytes, std::string_view name);

// Reads and parses the file at `path` (a host path).
[[nodiscard]] absl::StatusOr<ElfFile> ReadElfFile(const std::string& path);

// How an ELF identity compares with the host the image runs on. ld.so skips a
// candidate library of another class or machine and keeps searching, while
// anything else that is wrong with a candidate is a hard error; the
// dependency walk uses this to do the same.
enum class ElfMatch {
  kMatches,       // ELF64, little-endian, x86-64
  kOtherClass,    // ELF32 or unknown class
  kOtherMachine,  // 64-bit but another architecture or byte order
  kNotElf,        // no ELF magic, or too short to tell
};

// Looks only at the first 64 bytes (the ELF header) of `bytes`.
ElfMatch MatchElfHeader(std::string_view bytes);

// "x86-64", "aarch64", "i386", ... or "machine 1234" for unknown values.
std::string MachineName(uint16_t machine);

}  // namespace nanoplane::image
