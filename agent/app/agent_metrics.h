#pragma once

// The agent's Prometheus metrics, registered once in a MetricsRegistry that
// outlives them (the registry owns the series).

#include <map>
#include <string>
#include <vector>

#include "agent/core/types.h"
#include "common/metrics.h"

namespace nanoplane::agent::app {

class AgentMetrics {
 public:
  explicit AgentMetrics(MetricsRegistry& registry);

  // Sets nanoplane_agent_instances{phase} from one round's reports.
  void SetInstances(const std::vector<core::InstanceReport>& reports);
  void CountBoot() { boots_.Increment(); }
  void CountRestart() { restarts_.Increment(); }
  void ObserveBootLatency(absl::Duration d) { boot_latency_.Observe(absl::ToDoubleSeconds(d)); }
  void ObserveBuildLatency(absl::Duration d, bool ok) {
    build_latency_.Observe(absl::ToDoubleSeconds(d), {{"result", ok ? "ok" : "error"}});
  }

 private:
  Gauge& instances_;
  Counter& boots_;
  Counter& restarts_;
  Histogram& boot_latency_;
  Histogram& build_latency_;
};

}  // namespace nanoplane::agent::app
