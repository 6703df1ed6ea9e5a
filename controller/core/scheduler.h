#pragma once

// Placement of new instances on hosts: filter (Ready, hostSelector, capacity,
// spread with DoNotSchedule), then score (spread with ScheduleAnyway, then
// least-allocated), then the host name breaks ties, so equal inputs always give
// equal placements. When no host fits, the reason reads like Kubernetes':
// `0/3 hosts fit: 2 insufficient memory, 1 does not match hostSelector`.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "controller/core/types.h"

namespace nanoplane::controller::core {

struct SchedulingRequest {
  Resources resources;
  Labels host_selector;
  Spread spread;
  bool operator==(const SchedulingRequest&) const = default;
};

// The fleet during one reconcile. ScheduleInstance adds each placement it makes
// to `hosts[].assigned` and `counts`, so later placements see earlier ones.
struct SchedulingState {
  std::vector<Host> hosts;
  std::map<std::string, int32_t> counts;  // this Unikernel's active instances per host
};

struct Placement {
  std::string host;    // empty when no host fits
  std::string reason;  // why no host fits; empty otherwise
  bool operator==(const Placement&) const = default;
};

// Picks the host for one more instance and records it in `state`. Never fails
// for bad input: a host with no allocatable resources simply never fits.
Placement ScheduleInstance(const SchedulingRequest& request, SchedulingState& state);

// Why `host` cannot take the instance, as reason phrases ("insufficient
// memory"); empty when it can. `min_count` is the fewest instances of this
// Unikernel on any Ready host that matches the selector.
std::vector<std::string> HostMisfits(const SchedulingRequest& request, const Host& host,
                                     int32_t count, int32_t min_count);

// Least-allocated score in [0, 100] after placing `request` on `host`: the
// mean over memory and CPUs of the free fraction left.
int64_t LeastAllocatedScore(const Resources& request, const Host& host);

}  // namespace nanoplane::controller::core
