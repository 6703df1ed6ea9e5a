#include "common/metrics.h"

#include <gtest/gtest.h>

namespace nanoplane {
namespace {

TEST(MetricsTest, RendersThePrometheusTextFormat) {
  MetricsRegistry registry;
  Counter& boots = registry.AddCounter("nanoplane_boots_total", "VMs booted.");
  Gauge& instances = registry.AddGauge("nanoplane_instances", "Instances by phase.");
  Histogram& latency =
      registry.AddHistogram("nanoplane_boot_seconds", "Boot latency.", {0.5, 1, 2});
  boots.Increment();
  boots.Increment();
  instances.SetAll({{{{"phase", "Running"}}, 3}, {{{"phase", "Pending"}}, 1}});
  latency.Observe(0.7);
  latency.Observe(1.5);
  latency.Observe(9);
  EXPECT_EQ(registry.Render(),
            "# HELP nanoplane_boots_total VMs booted.\n"
            "# TYPE nanoplane_boots_total counter\n"
            "nanoplane_boots_total 2\n"
            "# HELP nanoplane_instances Instances by phase.\n"
            "# TYPE nanoplane_instances gauge\n"
            "nanoplane_instances{phase=\"Pending\"} 1\n"
            "nanoplane_instances{phase=\"Running\"} 3\n"
            "# HELP nanoplane_boot_seconds Boot latency.\n"
            "# TYPE nanoplane_boot_seconds histogram\n"
            "nanoplane_boot_seconds_bucket{le=\"0.5\"} 0\n"
            "nanoplane_boot_seconds_bucket{le=\"1\"} 1\n"
            "nanoplane_boot_seconds_bucket{le=\"2\"} 2\n"
            "nanoplane_boot_seconds_bucket{le=\"+Inf\"} 3\n"
            "nanoplane_boot_seconds_sum 11.199999999999999\n"
            "nanoplane_boot_seconds_count 3\n");
}

TEST(MetricsTest, EscapesLabelValues) {
  MetricsRegistry registry;
  registry.AddGauge("g", "h").Set(1, {{"name", "a\"b\\c"}});
  EXPECT_NE(registry.Render().find("g{name=\"a\\\"b\\\\c\"} 1"), std::string::npos);
}

}  // namespace
}  // namespace nanoplane
