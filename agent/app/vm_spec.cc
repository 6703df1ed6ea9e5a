#include "agent/app/vm_spec.h"

#include "agent/app/convert.h"

namespace nanoplane::agent::app {
namespace {

NetworkSpec MakeNetwork(const v1alpha1::UnikernelTemplate& t, const VmSpecOptions& options) {
  if (!options.bridge.empty() || !options.network.empty()) {
    return BridgeNetwork{.bridge = options.bridge, .network = options.network};
  }
  UserNetwork user{.host_address = options.bind_address};
  for (const v1alpha1::Port& port : t.ports()) {
    user.forwards.push_back(
        {.name = port.name(),
         .guest_port = port.port(),
         .protocol = port.protocol() == v1alpha1::UDP ? Protocol::kUdp : Protocol::kTcp});
  }
  return user;
}

}  // namespace

VmSpec MakeVmSpec(const v1::InstanceAssignment& instance, const AgentImage& image,
                  const VmSpecOptions& options) {
  const v1alpha1::UnikernelTemplate& t = instance.template_();
  const v1alpha1::Resources& resources = t.resources();
  return VmSpec{
      .identity = ToPort(instance.identity()),
      .memory_bytes = resources.has_memory() ? resources.memory() : kDefaultMemoryBytes,
      .vcpus = resources.has_cpus() ? resources.cpus() : 1,
      .boot = image.boot,
      .base_image = image.disk,
      .console_log = options.console_log,
      .network = MakeNetwork(t, options),
      .accelerator = options.accelerator,
      // Always on: the image carries debug_exit:t, and a VM without the device
      // would power off with no code to report.
      .debug_exit = true,
  };
}

}  // namespace nanoplane::agent::app
