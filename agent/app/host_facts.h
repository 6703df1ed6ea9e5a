#pragma once

// What the agent tells the controller about its host: name, architecture and
// allocatable capacity (the host's less the agent's reserve).

#include <cstdint>
#include <string>

namespace nanoplane::agent::app {

struct HostFacts {
  std::string name;          // gethostname
  std::string architecture;  // uname -m, e.g. x86_64
  int64_t memory_bytes = 0;  // physical memory
  int32_t cpus = 0;          // online CPUs
};

HostFacts ReadHostFacts();

// Never negative.
int64_t Allocatable(int64_t total, int64_t reserve);

}  // namespace nanoplane::agent::app
