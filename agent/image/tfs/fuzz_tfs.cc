// libFuzzer target: the TFS reader on arbitrary bytes. Opening, listing,
// reading links and reading files must return statuses, never crash, hang or
// allocate without bound.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/image/tfs/tfs_io.h"
#include "agent/image/tfs/tfs_reader.h"
#include "common/strings.h"

namespace {

using nanoplane::image::TfsDirEntry;
using nanoplane::image::TfsEntryType;
using nanoplane::image::TfsReader;

void Walk(const TfsReader& reader, const std::string& dir, int depth, int* budget) {
  auto entries = reader.List(dir);
  if (!entries.ok() || depth > 64) {
    return;
  }
  for (const TfsDirEntry& e : *entries) {
    if (--*budget < 0) {
      return;
    }
    std::string path = nanoplane::StrCat(dir, "/", e.name);
    if (e.type == TfsEntryType::kDirectory) {
      Walk(reader, path, depth + 1, budget);
    } else if (e.type == TfsEntryType::kSymlink) {
      (void)reader.ReadLink(path);
    } else {
      (void)reader.ReadFile(path, 1 << 20);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto reader = TfsReader::Open(nanoplane::image::MemoryByteSource(bytes));
  if (!reader.ok()) {
    return 0;
  }
  int budget = 4096;
  Walk(**reader, "", 0, &budget);
  return 0;
}
