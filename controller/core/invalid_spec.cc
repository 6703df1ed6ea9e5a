#include "controller/core/invalid_spec.h"

#include <algorithm>
#include <string>

#include "controller/core/conditions.h"

namespace nanoplane::controller::core {

std::vector<Action> ReportInvalidSpec(const UnikernelStatus& previous, int64_t generation,
                                      std::string_view message, absl::Time now) {
  Condition degraded = Transition(previous.conditions,
                                  {.type = std::string(kDegraded),
                                   .status = ConditionStatus::kTrue,
                                   .reason = std::string(kInvalidSpec),
                                   .message = std::string(message)},
                                  now);
  UnikernelStatus status = previous;
  // Observed, so that `rollout status` stops waiting and reports the error.
  status.observed_generation = std::max(previous.observed_generation, generation);
  auto it = std::find_if(status.conditions.begin(), status.conditions.end(),
                         [](const Condition& c) { return c.type == kDegraded; });
  if (it == status.conditions.end()) {
    status.conditions.push_back(degraded);
  } else {
    *it = degraded;
  }
  if (status == previous) {
    return {};
  }
  std::vector<Action> actions = {PatchStatus{.status = status}};
  const Condition* before = FindCondition(previous.conditions, kDegraded);
  if (before == nullptr || before->reason != degraded.reason ||
      before->message != degraded.message || before->status != degraded.status) {
    actions.push_back(RecordEvent{.type = EventType::kWarning,
                                  .reason = std::string(kInvalidSpec),
                                  .message = std::string(message)});
  }
  return actions;
}

}  // namespace nanoplane::controller::core
