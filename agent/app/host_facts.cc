#include "agent/app/host_facts.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>

namespace nanoplane::agent::app {

HostFacts ReadHostFacts() {
  HostFacts facts;
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) == 0) {
    facts.name = name;
  }
  struct utsname uts;
  if (::uname(&uts) == 0) {
    facts.architecture = uts.machine;
  }
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages > 0 && page_size > 0) {
    facts.memory_bytes = static_cast<int64_t>(pages) * page_size;
  }
  facts.cpus = static_cast<int32_t>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
  return facts;
}

int64_t Allocatable(int64_t total, int64_t reserve) {
  return std::max<int64_t>(0, total - reserve);
}

}  // namespace nanoplane::agent::app
