// libFuzzer target: arbitrary bytes as an ELF file and as an ld.so.cache.
// Both parsers must return a status for every input and never read outside
// it; ASan and UBSan catch the rest. Wired into the build from fuzz/.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/image/elf/dependency_walk.h"
#include "agent/image/elf/elf_file.h"
#include "agent/image/elf/ld_so_cache.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nanoplane::image;  // NOLINT(build/namespaces): one-function file
  std::string_view bytes(reinterpret_cast<const char*>(data), size);

  (void)MatchElfHeader(bytes);
  absl::StatusOr<ElfFile> elf = ParseElf(bytes, "fuzz-input");
  if (elf.ok()) {
    // Touch everything a caller would read.
    size_t total = elf->needed.size() + elf->program_headers.size();
    for (const std::string& name : elf->needed) {
      total += ExpandDynamicStringTokens(name, "/origin").size();
    }
    total += elf->rpath.value_or("").size() + elf->runpath.value_or("").size();
    total += elf->soname.value_or("").size() + elf->interpreter.value_or("").size();
    total += ElfKindName(elf->kind).size();
    (void)total;
  }

  absl::StatusOr<LdSoCache> cache = LdSoCache::Parse(bytes, "fuzz-input");
  if (cache.ok() && !cache->entries().empty()) {
    (void)cache->Lookup(cache->entries().front().soname);
  }
  return 0;
}
