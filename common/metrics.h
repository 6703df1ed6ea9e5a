#pragma once

// Prometheus metrics: counters, gauges and histograms with labels, and their
// text exposition format (version 0.0.4). Thread-safe; metrics live as long as
// the registry.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace nanoplane {

using MetricLabels = std::map<std::string, std::string>;

class MetricsRegistry;

class Counter {
 public:
  void Increment(const MetricLabels& labels = {}, double by = 1);

 private:
  friend class MetricsRegistry;
  explicit Counter(MetricsRegistry& registry, size_t index) : registry_(registry), index_(index) {}
  MetricsRegistry& registry_;
  size_t index_;
};

class Gauge {
 public:
  void Set(double value, const MetricLabels& labels = {});
  // Replaces every labelled value at once (e.g. instances by phase).
  void SetAll(const std::map<MetricLabels, double>& values);

 private:
  friend class MetricsRegistry;
  explicit Gauge(MetricsRegistry& registry, size_t index) : registry_(registry), index_(index) {}
  MetricsRegistry& registry_;
  size_t index_;
};

class Histogram {
 public:
  void Observe(double value, const MetricLabels& labels = {});

 private:
  friend class MetricsRegistry;
  explicit Histogram(MetricsRegistry& registry, size_t index)
      : registry_(registry), index_(index) {}
  MetricsRegistry& registry_;
  size_t index_;
};

class MetricsRegistry {
 public:
  // Names follow Prometheus conventions: nanoplane_boots_total, ..._seconds.
  Counter& AddCounter(const std::string& name, const std::string& help);
  Gauge& AddGauge(const std::string& name, const std::string& help);
  Histogram& AddHistogram(const std::string& name, const std::string& help,
                          std::vector<double> buckets);

  // The text exposition of every metric.
  std::string Render() const;

  // Seconds buckets from 5 ms to about 80 s.
  static std::vector<double> LatencyBuckets();

 private:
  friend class Counter;
  friend class Gauge;
  friend class Histogram;

  enum class Type { kCounter, kGauge, kHistogram };
  struct Series {
    double value = 0;               // counter, gauge
    std::vector<uint64_t> buckets;  // histogram: cumulative on render
    double sum = 0;
    uint64_t count = 0;
  };
  struct Family {
    std::string name, help;
    Type type;
    std::vector<double> bounds;
    std::map<MetricLabels, Series> series;
  };

  mutable std::mutex mutex_;
  std::vector<Family> families_;  // guarded by mutex_
  std::vector<std::unique_ptr<Counter>> counters_;
  std::vector<std::unique_ptr<Gauge>> gauges_;
  std::vector<std::unique_ptr<Histogram>> histograms_;
};

}  // namespace nanoplane
