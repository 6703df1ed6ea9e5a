#include "common/testing/require.h"

#include <cstdlib>

namespace nanoplane::test_support {
namespace {

std::string_view Trim(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) {
    return {};
  }
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

}  // namespace

bool Required(std::string_view capability) {
  const char* required = std::getenv("NP_REQUIRE");
  std::string_view rest = required == nullptr ? "" : required;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    if (Trim(rest.substr(0, comma)) == capability) {
      return true;
    }
    rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
  }
  return false;
}

bool LibvirtAnswers() {
  return std::system("timeout 20 virsh -c qemu:///system version >/dev/null 2>&1") == 0;
}

}  // namespace nanoplane::test_support
