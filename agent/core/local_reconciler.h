#pragma once

// The agent's local reconciler: KubeVirt virt-handler's sync() decision table
// made pure. It compares the host's assignment with the VMs the app listed and
// returns what to do, the runtime state to keep, and what to report.
//
// For each instance name (desired or observed), in name order:
//   desired, no VM (or one never started) -> BuildImage until the image is
//       built (wait while a build is in flight), then StartInstance
//   desired, running, same identity     -> nothing (in sync; also an adopted
//   VM) desired, running, liveness failed   -> StopInstance (force); the run
//   then
//       ended in failure and the restart policy applies
//   desired, stopped, same identity     -> per restart policy: RestartInstance
//       once the back-off has passed (phase BackOff until then), or leave it
//       (Succeeded / Failed)
//   desired, VM of another spec         -> StopInstance (graceful) if running,
//       else DeleteInstance; the new image builds meanwhile
//   desired, name held by a VM that is not nanoplane's -> nothing (Pending)
//   not desired, generation 0           -> nothing: a restarted agent with no
//       assignment yet keeps every VM
//   not desired                         -> after the grace period since first
//       seen undesired (none when InstanceRuntime::released, i.e. the
//       controller removed it): StopInstance (graceful) if running, else
//       DeleteInstance
//   VMs that are not nanoplane's        -> never touched, never reported
//   instances with an action executing (Activity::busy_instances) -> nothing

#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "agent/core/actions.h"
#include "agent/core/backoff.h"
#include "agent/core/types.h"

namespace nanoplane::agent::core {

struct LocalOptions {
  // How long a VM that is not assigned keeps running before it is stopped.
  absl::Duration grace_period = absl::Seconds(30);
  BackOffPolicy backoff;
  bool operator==(const LocalOptions&) const = default;
};

struct LocalPlan {
  std::vector<Action> actions;  // in execution order; empty when in sync
  // The runtime state to pass to the next round, whether or not the actions
  // succeed: a restart that fails to boot still counts and still backs off,
  // so a VM that cannot start is not retried in a tight loop.
  RuntimeStates runtime;
  // Every desired instance and every VM of ours, by name.
  std::vector<InstanceReport> reports;
  // Decide again after this long even if nothing changes (a back-off, grace
  // period or build retry ends then); nullopt: only on change. Probes keep
  // their own schedule (NextProbeDue); the app decides again when a probe
  // result changes a ProbeState's `passing`.
  std::optional<absl::Duration> requeue_after;
  bool operator==(const LocalPlan&) const = default;
};

// Decides one round. Pure: everything it reads is a parameter, and the app
// measured it beforehand (`observed` lists every VM on the host, nanoplane's
// or not). `runtime` is the previous round's LocalPlan::runtime with probe
// results folded in; an empty map (a restarted agent) is always safe.
LocalPlan DecideLocal(const Assignment& desired, const std::vector<ObservedVm>& observed,
                      const Activity& activity, const RuntimeStates& runtime, absl::Time now,
                      const LocalOptions& options);

void PrintTo(const LocalPlan& plan, std::ostream* os);

}  // namespace nanoplane::agent::core
