#include "agent/core/types.h"

namespace nanoplane::agent::core {

const char* RestartPolicyName(RestartPolicy policy) {
  switch (policy) {
    case RestartPolicy::kAlways:
      return "Always";
    case RestartPolicy::kOnFailure:
      return "OnFailure";
    case RestartPolicy::kNever:
      return "Never";
  }
  return "?";
}

void PrintTo(const InstanceIdentity& i, std::ostream* os) {
  *os << i.ns << "/" << i.unikernel << "/" << i.name << "@" << i.revision << ":" << i.spec_hash;
}

void PrintTo(const InstanceReport& r, std::ostream* os) {
  *os << "InstanceReport{" << r.identity.name << " " << PhaseName(r.phase)
      << (r.ready ? " ready" : "") << " restarts=" << r.restarts;
  if (r.exit_code.has_value()) {
    *os << " exit=" << *r.exit_code;
  }
  *os << " \"" << r.message << "\"}";
}

void PrintTo(const InstanceRuntime& r, std::ostream* os) {
  *os << "InstanceRuntime{restarts=" << r.restarts << " backoff=" << absl::FormatDuration(r.backoff)
      << (r.exited_at ? " exited" : "") << (r.killed_by_liveness ? " liveness-killed" : "")
      << (r.undesired_since ? " undesired" : "") << (r.released ? " released" : "") << "}";
}

void PrintTo(const ObservedVm& vm, std::ostream* os) {
  *os << "ObservedVm{" << vm.name << (vm.identity ? "" : " not-ours") << " "
      << VmStateName(vm.state) << "/" << StopReasonName(vm.stop_reason);
  if (vm.exit_code.has_value()) {
    *os << " exit=" << *vm.exit_code;
  }
  *os << "}";
}

}  // namespace nanoplane::agent::core
