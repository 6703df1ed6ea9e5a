#include "common/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/strings.h"

namespace nanoplane {
namespace {

std::string Escape(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string LabelText(const MetricLabels& labels, const std::string& extra = "") {
  std::vector<std::string> parts;
  for (const auto& [key, value] : labels) {
    parts.push_back(StrCat(key, "=\"", Escape(value), "\""));
  }
  if (!extra.empty()) {
    parts.push_back(extra);
  }
  return parts.empty() ? "" : StrCat("{", StrJoin(parts, ","), "}");
}

std::string Number(double value) {
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  char text[64];
  std::snprintf(text, sizeof(text), "%.17g", value);
  return text;
}

}  // namespace

void Counter::Increment(const MetricLabels& labels, double by) {
  std::lock_guard<std::mutex> guard(registry_.mutex_);
  registry_.families_[index_].series[labels].value += by;
}

void Gauge::Set(double value, const MetricLabels& labels) {
  std::lock_guard<std::mutex> guard(registry_.mutex_);
  registry_.families_[index_].series[labels].value = value;
}

void Gauge::SetAll(const std::map<MetricLabels, double>& values) {
  std::lock_guard<std::mutex> guard(registry_.mutex_);
  auto& series = registry_.families_[index_].series;
  series.clear();
  for (const auto& [labels, value] : values) {
    series[labels].value = value;
  }
}

void Histogram::Observe(double value, const MetricLabels& labels) {
  std::lock_guard<std::mutex> guard(registry_.mutex_);
  auto& family = registry_.families_[index_];
  auto& series = family.series[labels];
  series.buckets.resize(family.bounds.size());
  for (size_t i = 0; i < family.bounds.size(); ++i) {
    if (value <= family.bounds[i]) {
      ++series.buckets[i];
      break;
    }
  }
  series.sum += value;
  ++series.count;
}

Counter& MetricsRegistry::AddCounter(const std::string& name, const std::string& help) {
  std::lock_guard<std::mutex> guard(mutex_);
  families_.push_back({name, help, Type::kCounter, {}, {}});
  counters_.push_back(std::unique_ptr<Counter>(new Counter(*this, families_.size() - 1)));
  return *counters_.back();
}

Gauge& MetricsRegistry::AddGauge(const std::string& name, const std::string& help) {
  std::lock_guard<std::mutex> guard(mutex_);
  families_.push_back({name, help, Type::kGauge, {}, {}});
  gauges_.push_back(std::unique_ptr<Gauge>(new Gauge(*this, families_.size() - 1)));
  return *gauges_.back();
}

Histogram& MetricsRegistry::AddHistogram(const std::string& name, const std::string& help,
                                         std::vector<double> buckets) {
  std::sort(buckets.begin(), buckets.end());
  std::lock_guard<std::mutex> guard(mutex_);
  families_.push_back({name, help, Type::kHistogram, std::move(buckets), {}});
  histograms_.push_back(std::unique_ptr<Histogram>(new Histogram(*this, families_.size() - 1)));
  return *histograms_.back();
}

std::vector<double> MetricsRegistry::LatencyBuckets() {
  std::vector<double> buckets;
  for (double b = 0.005; b < 100; b *= 2) {
    buckets.push_back(b);
  }
  return buckets;
}

std::string MetricsRegistry::Render() const {
  std::lock_guard<std::mutex> guard(mutex_);
  std::string out;
  for (const Family& family : families_) {
    const char* type = family.type == Type::kCounter ? "counter"
                       : family.type == Type::kGauge ? "gauge"
                                                     : "histogram";
    StrAppend(&out, "# HELP ", family.name, " ", family.help, "\n# TYPE ", family.name, " ", type,
              "\n");
    for (const auto& [labels, series] : family.series) {
      if (family.type != Type::kHistogram) {
        StrAppend(&out, family.name, LabelText(labels), " ", Number(series.value), "\n");
        continue;
      }
      uint64_t cumulative = 0;
      for (size_t i = 0; i < family.bounds.size(); ++i) {
        cumulative += i < series.buckets.size() ? series.buckets[i] : 0;
        StrAppend(&out, family.name, "_bucket",
                  LabelText(labels, StrCat("le=\"", Number(family.bounds[i]), "\"")), " ",
                  cumulative, "\n");
      }
      StrAppend(&out, family.name, "_bucket", LabelText(labels, "le=\"+Inf\""), " ", series.count,
                "\n", family.name, "_sum", LabelText(labels), " ", Number(series.sum), "\n",
                family.name, "_count", LabelText(labels), " ", series.count, "\n");
    }
  }
  return out;
}

}  // namespace nanoplane
