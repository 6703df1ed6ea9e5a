#pragma once

// Writing tar archives in tests, including hostile ones no tar tool would make.

#include <string>
#include <vector>

namespace nanoplane::image {

struct TestTarEntry {
  std::string path;
  char type;         // 'f' file, 'd' directory, 'l' symlink, 'h' hard link
  std::string data;  // a file's content, or a link's target
};

// Writes a gzipped tar holding exactly `entries` to `path`.
void WriteTestTar(const std::string& path, const std::vector<TestTarEntry>& entries);

}  // namespace nanoplane::image
