#include "common/status.h"

#include <cstdio>
#include <cstdlib>

#include "common/strings.h"

namespace nanoplane {

void CheckFailed(const char* file, int line, const char* condition) {
  std::fprintf(stderr, "%s:%d: NP_CHECK failed: %s\n", file, line, condition);
  std::abort();
}

absl::Status Annotate(const absl::Status& status, std::string_view context) {
  if (status.ok()) {
    return status;
  }
  return absl::Status(status.code(), StrCat(context, ": ", status.message()));
}

bool IsTerminal(const absl::Status& status) {
  return absl::IsInvalidArgument(status) || absl::IsFailedPrecondition(status);
}

}  // namespace nanoplane
