#pragma once

// From an assigned template and its built image to the VM driver's VmSpec:
// memory, vCPUs, the template's ports as forwards (or a bridge NIC), how the
// image boots, the accelerator and isa-debug-exit (so the guest's exit code
// reaches the report). Pure.

#include <string>

#include "agent/ports/vm_driver.h"
#include "nanoplane/agent/v1/agent.pb.h"

namespace nanoplane::agent::app {

// A built image as the agent boots it. For Nanos: the cached disk image with
// BiosBoot, or KernelBoot of the release's kernel.img with --direct-boot. An
// injected build (the Linux test guest) may give a kernel boot and no disk.
struct AgentImage {
  std::string key;   // the image cache key (or any stable name)
  std::string disk;  // a raw disk image; empty: none
  BootSource boot;
  bool operator==(const AgentImage&) const = default;
};

struct VmSpecOptions {
  std::string bind_address = "127.0.0.1";  // host address of the port forwards
  // A Linux bridge or libvirt network instead of user-mode networking.
  std::string bridge;
  std::string network;
  Accelerator accelerator = Accelerator::kTcg;
  std::string console_log;  // where the serial console goes
};

// The defaults the API gives an unset resources block.
inline constexpr int64_t kDefaultMemoryBytes = 256LL << 20;

VmSpec MakeVmSpec(const v1::InstanceAssignment& instance, const AgentImage& image,
                  const VmSpecOptions& options);

}  // namespace nanoplane::agent::app
