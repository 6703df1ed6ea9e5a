#pragma once

// The controller's decision for one Unikernel: plain data in, actions out.
//
//   ReconcileResult result = Reconcile(input, rng);
//
// The app measures the input (the stored object, its instances as assigned and
// reported, the hosts, the revision history), executes the actions in order,
// then reconciles again: after its own writes, on reports and watches, and at
// `requeue_after`. Once the world matches the spec the plan is empty.

#include <optional>
#include <vector>

#include "absl/random/bit_gen_ref.h"
#include "absl/time/time.h"
#include "controller/core/actions.h"
#include "controller/core/host_list.h"
#include "controller/core/naming.h"
#include "controller/core/types.h"

namespace nanoplane::controller::core {

struct ReconcileInput {
  // nullopt when the Unikernel no longer exists at all: whatever of it remains
  // is stopped and forgotten, and its history deleted.
  std::optional<DesiredUnikernel> desired;
  std::vector<Instance> instances;  // of this Unikernel, fleet-wide
  HostList hosts;                   // every registered host
  std::vector<Revision> revisions;  // this Unikernel's history
  // Every instance name in use fleet-wide; names without this Unikernel's
  // InstanceNamePrefix may be left out (no new name can equal them).
  NameSet taken_names;
  // When set, also asked, for the names a pass draws: the app answers from
  // its own indexes, rather than gathering into taken_names, on every pass,
  // the names that only a pass starting an instance reads.
  NameLookup taken_lookup;
  absl::Time now;
  // How long a host may be NotReady before its instances are replaced.
  absl::Duration eviction_timeout = absl::Minutes(5);
  bool operator==(const ReconcileInput&) const = default;
};

struct ReconcileResult {
  // In execution order: revision changes, forgotten instances, starts, stops,
  // the progress clock, pruned revisions, status, events, finalizer removal.
  std::vector<Action> actions;
  std::optional<UnikernelStatus> status;  // the computed status, also when unchanged
  // When to look again although nothing may change before: an instance
  // becoming available, a host's eviction timeout, the progress deadline.
  std::optional<absl::Duration> requeue_after;
  bool operator==(const ReconcileResult&) const = default;
};

// Decides one pass. Pure: the result depends only on `input` and on the
// values drawn from `rng` (used for instance names).
ReconcileResult Reconcile(const ReconcileInput& input, absl::BitGenRef rng);

}  // namespace nanoplane::controller::core
