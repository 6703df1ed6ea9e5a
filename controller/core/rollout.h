#pragma once

// The rollout planner: which instances to start and stop so that the fleet
// moves toward `replicas` instances of the update revision, within the
// strategy's limits. It follows the Deployment controller's rules, applied to
// instances instead of ReplicaSets:
//   RollingUpdate  start new instances while the total stays within
//                  replicas + maxSurge; stop old ones (unavailable first, then
//                  oldest revision) while availability stays at or above
//                  replicas - maxUnavailable;
//   Recreate       stop every old instance, wait until none runs, then start;
//   paused         no rollout progress, only scaling to `replicas`.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/random/bit_gen_ref.h"
#include "absl/time/time.h"
#include "controller/core/actions.h"
#include "controller/core/fleet.h"
#include "controller/core/naming.h"
#include "controller/core/types.h"

namespace nanoplane::controller::core {

// maxSurge and maxUnavailable resolved against replicas: surge rounds up,
// unavailable down; both zero becomes unavailable 1, as Deployments do. Under
// Recreate both are 0 (Available then needs every replica).
struct RolloutLimits {
  int32_t max_surge = 0;
  int32_t max_unavailable = 0;
  bool operator==(const RolloutLimits&) const = default;
};

RolloutLimits ResolveLimits(const DesiredUnikernel& desired);

struct RolloutInput {
  const DesiredUnikernel* desired = nullptr;
  Revision update;
  const std::vector<InstanceView>* views = nullptr;
  const std::vector<Revision>* history = nullptr;  // after the revision sync
  const std::vector<Host>* hosts = nullptr;
  const NameSet* taken_names = nullptr;     // fleet-wide
  const NameTaken* taken_lookup = nullptr;  // asked too when set
};

struct RolloutPlan {
  std::vector<Action> actions;  // StartInstance and StopInstance only
  std::string unschedulable;    // why a needed instance found no host; empty if none
};

// The starts and stops for this pass. Idempotent over its input: an instance
// already stopping or just started is counted, never acted on twice.
// REQUIRES: every pointer in `input` is set.
RolloutPlan PlanRollout(const RolloutInput& input, absl::BitGenRef rng);

}  // namespace nanoplane::controller::core
