#include "bench/kube_meter.h"

#include <algorithm>

namespace nanoplane::bench {

KubeMeter::KubeMeter(const kube::testing::FakeApiServer& server, std::string user)
    : server_(server), user_(std::move(user)) {
  sampler_ = std::thread([this] { Sample(); });
}

KubeMeter::~KubeMeter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  sampler_.join();
}

RequestTally KubeMeter::Tally() const {
  RequestTally tally;
  for (const auto& [kind, count] : server_.RequestCountsByKind()) {
    if (kind.user != user_) {
      continue;
    }
    tally.total += count;
    if (kind.verb == "watch") {
      tally.watches += count;
    } else if (kind.resource == "leases") {
      tally.leases += count;
    } else if (kind.resource == "hosts" || kind.resource == "hosts/status") {
      tally.heartbeats += count;
    }
  }
  return tally;
}

std::map<std::string, int64_t> KubeMeter::ByKind() const {
  std::map<std::string, int64_t> kinds;
  for (const auto& [kind, count] : server_.RequestCountsByKind()) {
    if (kind.user == user_) {
      kinds[kind.verb + " " + kind.resource] += count;
    }
  }
  return kinds;
}

void KubeMeter::Sample() {
  for (;;) {
    absl::SleepFor(absl::Seconds(1));
    int64_t total = Tally().total;
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      return;
    }
    totals_.push_back(total);
  }
}

double KubeMeter::PeakRate(absl::Duration window) const {
  const size_t seconds = std::max<size_t>(1, absl::ToInt64Seconds(window));
  std::lock_guard<std::mutex> lock(mu_);
  double peak = 0;
  for (size_t end = seconds; end < totals_.size(); ++end) {
    peak = std::max(peak, static_cast<double>(totals_[end] - totals_[end - seconds]) / seconds);
  }
  return peak;
}

void KubeMeter::ResetPeak() {
  int64_t total = Tally().total;
  std::lock_guard<std::mutex> lock(mu_);
  totals_ = {total};
}

void KubeMeter::OnRequest(std::string_view method, std::string_view path, absl::Duration took,
                          const absl::Status&) {
  const std::string_view suffix = "/status";
  if (method != "PUT" || path.find("/unikernels/") == std::string_view::npos ||
      path.size() < suffix.size() || path.substr(path.size() - suffix.size()) != suffix) {
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  status_write_ms_.push_back(absl::ToDoubleMilliseconds(took));
}

double KubeMeter::StatusWriteMs(double q) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (status_write_ms_.empty()) {
    return 0;
  }
  std::vector<double> sorted = status_write_ms_;
  std::sort(sorted.begin(), sorted.end());
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(q * sorted.size()))];
}

size_t KubeMeter::StatusWrites() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_write_ms_.size();
}

void KubeMeter::ResetStatusWrites() {
  std::lock_guard<std::mutex> lock(mu_);
  status_write_ms_.clear();
}

}  // namespace nanoplane::bench
