#include "agent/image/elf/elf_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "agent/image/elf/byte_reader.h"
#include "agent/image/elf/elf_internal.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::image {
namespace {

using internal::ByteReader;
using internal::ElfError;
using internal::ElfHeaderFields;

constexpr uint64_t kEhdrSize = 64;
constexpr uint64_t kPhdrSize = 56;
constexpr uint8_t kClass64 = 2;
constexpr uint8_t kData2Lsb = 1;
constexpr uint16_t kEmX8664 = 62;
constexpr uint16_t kPnXnum = 0xffff;

bool HasMagic(std::string_view bytes) {
  return bytes.size() >= 4 && bytes.substr(0, 4) == std::string_view(
                                                        "\x7f"
                                                        "ELF",
                                                        4);
}

uint16_t MachineOf(const ByteReader& reader) { return reader.Read<uint16_t>(18).value_or(0); }

absl::Status CheckIdentity(std::string_view bytes, std::string_view name) {
  if (!HasMagic(bytes)) {
    return ElfError(name, "not an ELF file (bad magic)");
  }
  ByteReader reader(bytes);
  if (bytes.size() < kEhdrSize) {
    return ElfError(
        name, StrCat("truncated: ", bytes.size(), " bytes, shorter than the 64-byte ELF header"));
  }
  auto elf_class = static_cast<uint8_t>(bytes[4]);
  if (elf_class == 1) {
    return ElfError(name, StrCat("32-bit ELF (ELFCLASS32, ", MachineName(MachineOf(reader)),
                                 ") is not supported; need 64-bit x86-64"));
  }
  if (elf_class != kClass64) {
    return ElfError(name, StrCat("invalid ELF class ", static_cast<int>(elf_class)));
  }
  if (static_cast<uint8_t>(bytes[5]) != kData2Lsb) {
    return ElfError(name, "big-endian ELF is not supported; need little-endian x86-64");
  }
  uint16_t machine = MachineOf(reader);
  if (machine != kEmX8664) {
    return ElfError(name, StrCat("wrong architecture: ", MachineName(machine), " (e_machine ",
                                 machine, "); need x86-64"));
  }
  return absl::OkStatus();
}

absl::Status ReadHeader(const ByteReader& reader, ElfFile& elf, ElfHeaderFields& fields) {
  elf.type = *reader.Read<uint16_t>(16);
  if (elf.type != kEtExec && elf.type != kEtDyn) {
    return ElfError(elf.name,
                    StrCat("not an executable or shared library (e_type ", elf.type, ")"));
  }
  elf.entry = *reader.Read<uint64_t>(24);
  fields.phoff = *reader.Read<uint64_t>(32);
  fields.shoff = *reader.Read<uint64_t>(40);
  fields.phentsize = *reader.Read<uint16_t>(54);
  fields.phnum = *reader.Read<uint16_t>(56);
  fields.shentsize = *reader.Read<uint16_t>(58);
  fields.shnum = *reader.Read<uint16_t>(60);
  fields.shstrndx = *reader.Read<uint16_t>(62);
  if (fields.phnum == kPnXnum) {
    return ElfError(elf.name, "extended program header numbering (PN_XNUM) is not supported");
  }
  if (fields.phnum > 0 && fields.phentsize != kPhdrSize) {
    return ElfError(elf.name,
                    StrCat("corrupt ELF header: e_phentsize ", fields.phentsize, ", expected 56"));
  }
  return absl::OkStatus();
}

absl::Status ReadProgramHeaders(const ByteReader& reader, const ElfHeaderFields& fields,
                                ElfFile& elf) {
  uint64_t table_size = uint64_t{fields.phnum} * kPhdrSize;
  if (!reader.InRange(fields.phoff, table_size)) {
    return ElfError(elf.name, StrCat("truncated: program header table at offset ", fields.phoff,
                                     " (", table_size, " bytes) runs past the end of the file (",
                                     reader.size(), " bytes)"));
  }
  for (uint64_t i = 0; i < fields.phnum; ++i) {
    uint64_t at = fields.phoff + i * kPhdrSize;
    elf.program_headers.push_back(ProgramHeader{
        .type = *reader.Read<uint32_t>(at),
        .flags = *reader.Read<uint32_t>(at + 4),
        .offset = *reader.Read<uint64_t>(at + 8),
        .vaddr = *reader.Read<uint64_t>(at + 16),
        .filesz = *reader.Read<uint64_t>(at + 32),
        .memsz = *reader.Read<uint64_t>(at + 40),
        .align = *reader.Read<uint64_t>(at + 48),
    });
  }
  return absl::OkStatus();
}

absl::Status ReadInterpreter(const ByteReader& reader, ElfFile& elf) {
  for (const ProgramHeader& ph : elf.program_headers) {
    if (ph.type != kPtInterp) {
      continue;
    }
    if (!reader.InRange(ph.offset, ph.filesz)) {
      return ElfError(elf.name, "truncated: PT_INTERP runs past the end of the file");
    }
    std::optional<std::string_view> path = reader.CString(ph.offset, ph.offset + ph.filesz);
    if (!path.has_value() || path->empty()) {
      return ElfError(elf.name, "corrupt PT_INTERP: not a NUL-terminated path");
    }
    elf.interpreter = std::string(*path);
    return absl::OkStatus();  // ld.so and the kernel use the first one
  }
  return absl::OkStatus();
}

ElfKind Classify(const ElfFile& elf) {
  bool interp = elf.interpreter.has_value();
  if (elf.type == kEtExec) {
    return interp ? ElfKind::kDynamicExecutable : ElfKind::kStaticExecutable;
  }
  if ((elf.flags_1 & kDf1Pie) != 0) {
    return interp ? ElfKind::kDynamicPie : ElfKind::kStaticPie;
  }
  // Toolchains older than binutils 2.26 did not set DF_1_PIE; an ET_DYN
  // with no SONAME is then an executable rather than a library.
  if (elf.soname.has_value()) {
    return ElfKind::kSharedObject;
  }
  if (interp) {
    return ElfKind::kDynamicPie;
  }
  bool self_contained = elf.needed.empty() && elf.entry != 0;
  return self_contained ? ElfKind::kStaticPie : ElfKind::kSharedObject;
}

// A read-only private mapping of a whole file; ld.so maps libraries the same
// way, and it avoids copying hundred-megabyte binaries such as node.
class MappedFile {
 public:
  static absl::StatusOr<MappedFile> Open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return absl::ErrnoToStatus(errno, StrCat("open ", path));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      int saved = errno;
      ::close(fd);
      return absl::ErrnoToStatus(saved, StrCat("stat ", path));
    }
    MappedFile file;
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      return ElfError(path, "not a regular file");
    }
    file.size_ = static_cast<size_t>(st.st_size);
    if (file.size_ > 0) {
      void* data = ::mmap(nullptr, file.size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (data == MAP_FAILED) {
        int saved = errno;
        ::close(fd);
        return absl::ErrnoToStatus(saved, StrCat("mmap ", path));
      }
      file.data_ = static_cast<const char*>(data);
    }
    ::close(fd);
    return file;
  }

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  MappedFile& operator=(MappedFile&&) = delete;
  ~MappedFile() {
    if (data_ != nullptr) {
      ::munmap(const_cast<char*>(data_), size_);
    }
  }

  std::string_view bytes() const { return {data_ == nullptr ? "" : data_, size_}; }

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace

std::string_view ElfKindName(ElfKind kind) {
  switch (kind) {
    case ElfKind::kStaticExecutable:
      return "static executable";
    case ElfKind::kStaticPie:
      return "static-pie executable";
    case ElfKind::kDynamicExecutable:
      return "dynamic executable";
    case ElfKind::kDynamicPie:
      return "dynamic PIE executable";
    case ElfKind::kSharedObject:
      return "shared object";
  }
  return "unknown";
}

std::string MachineName(uint16_t machine) {
  switch (machine) {
    case 2:
      return "sparc";
    case 3:
      return "i386";
    case 8:
      return "mips";
    case 20:
      return "powerpc";
    case 21:
      return "powerpc64";
    case 22:
      return "s390";
    case 40:
      return "arm";
    case 43:
      return "sparc64";
    case 50:
      return "ia64";
    case 62:
      return "x86-64";
    case 183:
      return "aarch64";
    case 243:
      return "riscv";
    case 258:
      return "loongarch";
    default:
      return StrCat("machine ", machine);
  }
}

ElfMatch MatchElfHeader(std::string_view bytes) {
  if (!HasMagic(bytes) || bytes.size() < kEhdrSize) {
    return ElfMatch::kNotElf;
  }
  if (static_cast<uint8_t>(bytes[4]) != kClass64) {
    return ElfMatch::kOtherClass;
  }
  bool little = static_cast<uint8_t>(bytes[5]) == kData2Lsb;
  if (!little || MachineOf(ByteReader(bytes)) != kEmX8664) {
    return ElfMatch::kOtherMachine;
  }
  return ElfMatch::kMatches;
}

absl::StatusOr<ElfFile> ParseElf(std::string_view bytes, std::string_view name) {
  NP_RETURN_IF_ERROR(CheckIdentity(bytes, name));
  ByteReader reader(bytes);
  ElfFile elf;
  elf.name = std::string(name);
  ElfHeaderFields fields;
  NP_RETURN_IF_ERROR(ReadHeader(reader, elf, fields));
  NP_RETURN_IF_ERROR(ReadProgramHeaders(reader, fields, elf));
  NP_RETURN_IF_ERROR(ReadInterpreter(reader, elf));
  NP_RETURN_IF_ERROR(internal::ParseDynamic(reader, elf));
  elf.is_go = internal::DetectGo(reader, elf, fields);
  elf.kind = Classify(elf);
  return elf;
}

absl::StatusOr<ElfFile> ReadElfFile(const std::string& path) {
  NP_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  return ParseElf(file.bytes(), path);
}

namespace internal {

absl::Status ElfError(std::string_view name, std::string_view what) {
  return absl::InvalidArgumentError(StrCat(name, ": ", what));
}

}  // namespace internal
}  // namespace nanoplane::image
