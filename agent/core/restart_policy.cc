#include "agent/core/restart_policy.h"

#include "common/strings.h"

namespace nanoplane::agent::core {
namespace {

RunEnd Failure(const ObservedVm& vm, std::string_view what) {
  std::string message(what);
  if (vm.exit_code.has_value()) {
    StrAppend(&message, " (exit code ", *vm.exit_code, ")");
  }
  return RunEnd{.failed = true, .exit_code = vm.exit_code, .message = message};
}

RunEnd CleanStop(const ObservedVm& vm, std::string_view without_code) {
  if (!vm.exit_code.has_value()) {
    return RunEnd{.failed = false, .message = std::string(without_code)};
  }
  return RunEnd{.failed = *vm.exit_code != 0,
                .exit_code = vm.exit_code,
                .message = StrCat("exit code ", *vm.exit_code)};
}

}  // namespace

RunEnd ClassifyRunEnd(const ObservedVm& vm, bool killed_by_liveness) {
  if (killed_by_liveness) {
    return Failure(vm, "liveness probe failed");
  }
  if (vm.state == VmState::kCrashed) {
    return Failure(vm, "crashed");
  }
  switch (vm.stop_reason) {
    case StopReason::kShutdown:
      return CleanStop(vm, "shut down");
    case StopReason::kExited:
      return CleanStop(vm, "exited");
    case StopReason::kCrashed:
      return Failure(vm, "crashed");
    case StopReason::kDestroyed:
      return Failure(vm, "destroyed");
    case StopReason::kFailed:
      return Failure(vm, "failed to start");
    case StopReason::kNone:
    case StopReason::kUnknown:
      break;
  }
  return Failure(vm, "stopped for an unknown reason");
}

bool ShouldRestart(RestartPolicy policy, const RunEnd& end) {
  switch (policy) {
    case RestartPolicy::kAlways:
      return true;
    case RestartPolicy::kOnFailure:
      return end.failed;
    case RestartPolicy::kNever:
      return false;
  }
  return false;
}

}  // namespace nanoplane::agent::core
