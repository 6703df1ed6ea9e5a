#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace nanoplane {

// A whole (small) file: certificates, keys, manifests. InvalidArgument naming
// the path when it cannot be read.
[[nodiscard]] absl::StatusOr<std::string> ReadFileToString(const std::string& path);

}  // namespace nanoplane
