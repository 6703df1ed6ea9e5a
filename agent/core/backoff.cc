#include "agent/core/backoff.h"

#include <algorithm>

namespace nanoplane::agent::core {

absl::Duration NextBackOff(const BackOffPolicy& policy, absl::Duration previous) {
  if (previous <= absl::ZeroDuration()) {
    return std::min(policy.initial, policy.max);
  }
  // Compare before doubling so that a huge delay cannot overflow.
  if (previous >= policy.max / 2) {
    return policy.max;
  }
  return std::min(previous * 2, policy.max);
}

absl::Duration BackOffAfterRun(const BackOffPolicy& policy, absl::Duration previous,
                               std::optional<absl::Time> started, absl::Time ended) {
  if (started.has_value() && ended - *started >= policy.reset_after) {
    return absl::ZeroDuration();
  }
  return previous;
}

}  // namespace nanoplane::agent::core
