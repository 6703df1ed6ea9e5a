#include "agent/core/types.h"

namespace nanoplane::agent::core {

const char* PhaseName(InstancePhase phase) {
  switch (phase) {
    case InstancePhase::kPending:
      return "Pending";
    case InstancePhase::kBuilding:
      return "Building";
    case InstancePhase::kStarting:
      return "Starting";
    case InstancePhase::kRunning:
      return "Running";
    case InstancePhase::kSucceeded:
      return "Succeeded";
    case InstancePhase::kFailed:
      return "Failed";
    case InstancePhase::kBackOff:
      return "BackOff";
    case InstancePhase::kTerminating:
      return "Terminating";
  }
  return "?";
}

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

const char* VmStateName(VmState state) {
  switch (state) {
    case VmState::kRunning:
      return "running";
    case VmState::kPaused:
      return "paused";
    case VmState::kShutOff:
      return "shut-off";
    case VmState::kCrashed:
      return "crashed";
  }
  return "?";
}

const char* StopReasonName(StopReason reason) {
  switch (reason) {
    case StopReason::kNone:
      return "none";
    case StopReason::kShutdown:
      return "shutdown";
    case StopReason::kExited:
      return "exited";
    case StopReason::kCrashed:
      return "crashed";
    case StopReason::kDestroyed:
      return "destroyed";
    case StopReason::kFailed:
      return "failed";
    case StopReason::kUnknown:
      return "unknown";
  }
  return "?";
}

void PrintTo(InstancePhase phase, std::ostream* os) { *os << PhaseName(phase); }

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
