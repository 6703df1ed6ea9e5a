#include "common/files.h"

#include <fstream>
#include <sstream>

#include "common/strings.h"

namespace nanoplane {

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(StrCat(path, ": cannot be read"));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace nanoplane
