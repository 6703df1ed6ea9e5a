#pragma once

// Restart back-off, the Kubernetes CrashLoopBackOff rules: the first restart
// waits `initial`, each further one twice as long up to `max`, and a run that
// lasted `reset_after` starts the sequence over. Pure arithmetic; the local
// reconciler keeps the current delay in InstanceRuntime::backoff.

#include <optional>

#include "absl/time/time.h"

namespace nanoplane::agent::core {

struct BackOffPolicy {
  absl::Duration initial = absl::Seconds(10);
  absl::Duration max = absl::Minutes(5);
  absl::Duration reset_after = absl::Minutes(10);
  bool operator==(const BackOffPolicy&) const = default;
};

// The delay before the next restart, given the delay before the previous one
// (zero: none, or reset). REQUIRES: previous >= 0.
absl::Duration NextBackOff(const BackOffPolicy& policy, absl::Duration previous);

// The previous delay as it stands after a run from `started` (nullopt: not
// known, e.g. the run began before the agent did) to `ended`: zero when the
// run lasted reset_after or longer, else unchanged.
absl::Duration BackOffAfterRun(const BackOffPolicy& policy, absl::Duration previous,
                               std::optional<absl::Time> started, absl::Time ended);

}  // namespace nanoplane::agent::core
