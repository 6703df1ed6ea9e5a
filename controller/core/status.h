#pragma once

// The status the core reports: counts over the classified instances, the
// current and update revision, the instance list, and the conditions
// Available, Progressing and Degraded in the manner of a Deployment.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "controller/core/actions.h"
#include "controller/core/fleet.h"
#include "controller/core/types.h"

namespace nanoplane::controller::core {

// Condition reasons.
inline constexpr std::string_view kMinimumReplicasAvailable = "MinimumReplicasAvailable";
inline constexpr std::string_view kMinimumReplicasUnavailable = "MinimumReplicasUnavailable";
inline constexpr std::string_view kRolloutComplete = "RolloutComplete";
inline constexpr std::string_view kRollingOut = "RollingOut";
inline constexpr std::string_view kRolloutPaused = "RolloutPaused";
inline constexpr std::string_view kProgressDeadlineExceeded = "ProgressDeadlineExceeded";
inline constexpr std::string_view kUnschedulable = "Unschedulable";
inline constexpr std::string_view kCrashLooping = "CrashLooping";
inline constexpr std::string_view kHostNotReady = "HostNotReady";
inline constexpr std::string_view kAsExpected = "AsExpected";

// `nanoplane.dev/unikernel=<name>`, the selector of the scale subresource.
std::string SelectorFor(std::string_view unikernel);

// Everything but the conditions: counts, revisions, selector, instances (the
// ones not being forgotten, by name). `update` is the update revision.
UnikernelStatus CountStatus(const DesiredUnikernel& desired, const Revision& update,
                            const std::vector<InstanceView>& views);

struct ConditionsInput {
  const DesiredUnikernel* desired = nullptr;  // its .status is the previous status
  Revision update;
  const std::vector<InstanceView>* views = nullptr;
  std::string unschedulable;  // from the rollout plan
  absl::Time now;
};

struct ConditionsResult {
  std::vector<Condition> conditions;   // Available, Progressing, Degraded
  bool progressed = false;             // the rollout moved: restart its deadline clock
  std::optional<absl::Time> deadline;  // when Progressing would turn False, if it can
  std::vector<Action> events;          // RecordEvent for the transitions worth telling
};

// Conditions for `counts` (a CountStatus result). Progress is measured against
// the previous status: more updated, ready or available instances, fewer old
// ones, a new update revision, or a resume. The deadline counts from
// `update.progress_time`.
// REQUIRES: the pointers in `input` are set.
ConditionsResult ComputeConditions(const ConditionsInput& input, const UnikernelStatus& counts);

}  // namespace nanoplane::controller::core
