#include "agent/app/agent_metrics.h"

namespace nanoplane::agent::app {

AgentMetrics::AgentMetrics(MetricsRegistry& registry)
    : instances_(registry.AddGauge("nanoplane_agent_instances", "Instances on this host by phase")),
      boots_(registry.AddCounter("nanoplane_agent_boots_total", "VM boots (starts and restarts)")),
      restarts_(registry.AddCounter("nanoplane_agent_restarts_total",
                                    "Instance restarts by the restart policy")),
      boot_latency_(registry.AddHistogram("nanoplane_agent_boot_latency_seconds",
                                          "From creating the VM to the instance running and ready",
                                          MetricsRegistry::LatencyBuckets())),
      build_latency_(registry.AddHistogram("nanoplane_agent_build_latency_seconds",
                                           "Image builds, cached or not",
                                           MetricsRegistry::LatencyBuckets())) {}

void AgentMetrics::SetInstances(const std::vector<core::InstanceReport>& reports) {
  std::map<MetricLabels, double> by_phase;
  for (int p = 0; p <= static_cast<int>(core::InstancePhase::kTerminating); ++p) {
    by_phase[{{"phase", PhaseName(static_cast<core::InstancePhase>(p))}}] = 0;
  }
  for (const core::InstanceReport& report : reports) {
    by_phase[{{"phase", PhaseName(report.phase)}}] += 1;
  }
  instances_.SetAll(by_phase);
}

}  // namespace nanoplane::agent::app
