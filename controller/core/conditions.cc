#include "controller/core/conditions.h"

namespace nanoplane::controller::core {

const Condition* FindCondition(const std::vector<Condition>& conditions, std::string_view type) {
  for (const Condition& condition : conditions) {
    if (condition.type == type) {
      return &condition;
    }
  }
  return nullptr;
}

Condition Transition(const std::vector<Condition>& previous, Condition update, absl::Time now) {
  const Condition* before = FindCondition(previous, update.type);
  update.last_transition_time =
      before != nullptr && before->status == update.status ? before->last_transition_time : now;
  return update;
}

}  // namespace nanoplane::controller::core
