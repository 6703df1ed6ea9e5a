#pragma once

// The observed instances of one Unikernel, classified once per reconcile: which
// count toward replicas, which are ready or available, which are lost with
// their host, which can be forgotten. Every later decision reads this view, so
// the rules below are the single definition of those words.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "controller/core/host_list.h"
#include "controller/core/types.h"

namespace nanoplane::controller::core {

struct InstanceView {
  const Instance* instance = nullptr;
  const Host* host = nullptr;  // null when the host left the fleet
  int64_t revision = 0;        // its revision's number; 0 when not in the history
  bool updated = false;        // runs the update revision
  bool host_ready = false;
  // Counts toward replicas: not stopping, not finished, and its host is Ready
  // or NotReady for less than the eviction timeout.
  bool active = false;
  bool evicted = false;    // on a host NotReady for the eviction timeout or longer
  bool ready = false;      // active, reported ready, on a Ready host
  bool available = false;  // ready for at least minReadySeconds
  bool deletable = false;  // nothing of it runs any more: DeleteInstance
  absl::Time available_at = absl::InfiniteFuture();  // when a ready one becomes available
  InstancePhase phase = InstancePhase::kPending;     // kUnknown on a NotReady host
};

struct ClassifyOptions {
  std::string update_hash;
  int32_t min_ready_seconds = 0;
  absl::Duration eviction_timeout = absl::Minutes(5);
  absl::Time now;
};

// One view per instance, in input order. `instances`, `hosts` and `revisions`
// must outlive the result.
std::vector<InstanceView> ClassifyInstances(const std::vector<Instance>& instances,
                                            const HostList& hosts,
                                            const std::vector<Revision>& revisions,
                                            const ClassifyOptions& options);

// True when `a` should be stopped before `b` when scaling down, as ReplicaSets
// rank pods: on a NotReady host first, then not running, not ready, ready for
// a shorter time, more restarts, an older revision, created later; then name.
bool StopsBefore(const InstanceView& a, const InstanceView& b);

// Sorts by StopsBefore: the best stop candidate first.
void Rank(std::vector<const InstanceView*>& views);

// The active views of `views` for which `filter` holds, in input order.
template <typename Filter>
std::vector<const InstanceView*> ActiveWhere(const std::vector<InstanceView>& views, Filter filter);
// The same, best stop candidate first.
template <typename Filter>
std::vector<const InstanceView*> RankActive(const std::vector<InstanceView>& views, Filter filter);

// Counts over the active instances (see InstanceView for the words).
struct FleetCounts {
  int32_t active = 0;
  int32_t updated = 0;
  int32_t ready = 0;
  int32_t available = 0;
  int32_t updated_ready = 0;
  int32_t updated_available = 0;
};

// Sums the flags of the active views; inactive ones are not counted at all.
FleetCounts CountActive(const std::vector<InstanceView>& views);

}  // namespace nanoplane::controller::core

#include "controller/core/fleet_inl.h"
