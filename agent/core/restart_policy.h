#pragma once

// How a run ended and whether the restart policy restarts it (the Kubernetes
// rules: Always restarts any exit, OnFailure only a failed one, Never none).

#include <cstdint>
#include <optional>
#include <string>

#include "agent/core/types.h"

namespace nanoplane::agent::core {

struct RunEnd {
  bool failed = false;
  std::optional<int32_t> exit_code;
  std::string message;  // "exit code 3", "crashed", "liveness probe failed"
  bool operator==(const RunEnd&) const = default;
};

// Classifies a VM that is no longer running. A run counts as successful only
// when the guest powered off or exited with code 0 (or no code) by itself; a
// crash, a forced stop, a failed start or a liveness kill is a failure.
// REQUIRES: vm.state is kShutOff or kCrashed.
RunEnd ClassifyRunEnd(const ObservedVm& vm, bool killed_by_liveness);

// Whether `policy` restarts a run that ended as `end` says.
bool ShouldRestart(RestartPolicy policy, const RunEnd& end);

}  // namespace nanoplane::agent::core
