#pragma once

// The pass for a Unikernel the core cannot act on: its spec breaks a rule the
// CRD could not express (Kubernetes mode), or the stored object cannot be read
// into the core's types. Such an error is terminal: retrying cannot help until
// the object changes. Nothing is started or stopped (the running instances are
// left alone); the status says why, as a Degraded condition with reason
// InvalidSpec, and a Warning event tells it once.

#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "controller/core/actions.h"
#include "controller/core/types.h"

namespace nanoplane::controller::core {

inline constexpr std::string_view kInvalidSpec = "InvalidSpec";

// PatchStatus (the previous status with observedGeneration = `generation` and
// Degraded True/InvalidSpec/`message`) and RecordEvent, or nothing when the
// previous status says so already.
std::vector<Action> ReportInvalidSpec(const UnikernelStatus& previous, int64_t generation,
                                      std::string_view message, absl::Time now);

}  // namespace nanoplane::controller::core
