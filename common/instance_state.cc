#include "common/instance_state.h"

namespace nanoplane {

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
    case InstancePhase::kUnknown:
      return "Unknown";
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
      return "shut off";
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

}  // namespace nanoplane
