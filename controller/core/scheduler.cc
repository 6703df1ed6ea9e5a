#include "controller/core/scheduler.h"

#include <algorithm>
#include <limits>
#include <tuple>

#include "common/strings.h"

namespace nanoplane::controller::core {
namespace {

bool MatchesSelector(const Labels& selector, const Labels& labels) {
  for (const auto& [key, value] : selector) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) {
      return false;
    }
  }
  return true;
}

int32_t CountOn(const SchedulingState& state, const std::string& host) {
  auto it = state.counts.find(host);
  return it == state.counts.end() ? 0 : it->second;
}

// The spread baseline: the fewest instances on any host that could take them
// but for capacity. Zero when there is no such host.
int32_t MinCount(const SchedulingRequest& request, const SchedulingState& state) {
  int32_t min = std::numeric_limits<int32_t>::max();
  for (const Host& host : state.hosts) {
    if (host.ready && MatchesSelector(request.host_selector, host.labels)) {
      min = std::min(min, CountOn(state, host.name));
    }
  }
  return min == std::numeric_limits<int32_t>::max() ? 0 : min;
}

bool ExceedsSkew(const SchedulingRequest& request, int32_t count, int32_t min_count) {
  return count + 1 - min_count > request.spread.max_skew;
}

int64_t FreePercent(int64_t allocatable, int64_t assigned, int64_t requested) {
  if (allocatable <= 0) {
    return 0;
  }
  return std::max<int64_t>(0, (allocatable - assigned - requested) * 100 / allocatable);
}

std::string NoFitMessage(size_t host_count, const std::map<std::string, int>& reasons) {
  std::vector<std::pair<int, std::string>> sorted;
  for (const auto& [reason, count] : reasons) {
    sorted.emplace_back(count, reason);
  }
  // Most frequent first, then by phrase, so the message is stable.
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::string> parts;
  for (const auto& [count, reason] : sorted) {
    parts.push_back(StrCat(count, " ", reason));
  }
  if (parts.empty()) {
    parts.push_back("the fleet has no hosts");
  }
  return StrCat("0/", host_count, " hosts fit: ", StrJoin(parts, ", "));
}

}  // namespace

std::vector<std::string> HostMisfits(const SchedulingRequest& request, const Host& host,
                                     int32_t count, int32_t min_count) {
  if (!host.ready) {
    return {"not ready"};
  }
  if (!MatchesSelector(request.host_selector, host.labels)) {
    return {"does not match hostSelector"};
  }
  std::vector<std::string> misfits;
  if (host.assigned.cpus + request.resources.cpus > host.allocatable.cpus) {
    misfits.push_back("insufficient cpus");
  }
  if (host.assigned.memory_bytes + request.resources.memory_bytes > host.allocatable.memory_bytes) {
    misfits.push_back("insufficient memory");
  }
  if (misfits.empty() && request.spread.when_unsatisfiable == WhenUnsatisfiable::kDoNotSchedule &&
      ExceedsSkew(request, count, min_count)) {
    misfits.push_back("would exceed spread maxSkew");
  }
  return misfits;
}

int64_t LeastAllocatedScore(const Resources& request, const Host& host) {
  int64_t memory =
      FreePercent(host.allocatable.memory_bytes, host.assigned.memory_bytes, request.memory_bytes);
  int64_t cpus = FreePercent(host.allocatable.cpus, host.assigned.cpus, request.cpus);
  return (memory + cpus) / 2;
}

Placement ScheduleInstance(const SchedulingRequest& request, SchedulingState& state) {
  int32_t min_count = MinCount(request, state);
  std::map<std::string, int> reasons;
  Host* best = nullptr;
  std::tuple<bool, int64_t, int32_t, std::string> best_key;
  for (Host& host : state.hosts) {
    int32_t count = CountOn(state, host.name);
    std::vector<std::string> misfits = HostMisfits(request, host, count, min_count);
    for (const std::string& misfit : misfits) {
      ++reasons[misfit];
    }
    if (!misfits.empty()) {
      continue;
    }
    // Smaller is better: within the skew, more room left, fewer of ours, name.
    auto key = std::make_tuple(ExceedsSkew(request, count, min_count),
                               -LeastAllocatedScore(request.resources, host), count, host.name);
    if (best == nullptr || key < best_key) {
      best = &host;
      best_key = key;
    }
  }
  if (best == nullptr) {
    return Placement{.reason = NoFitMessage(state.hosts.size(), reasons)};
  }
  best->assigned.memory_bytes += request.resources.memory_bytes;
  best->assigned.cpus += request.resources.cpus;
  ++state.counts[best->name];
  return Placement{.host = best->name};
}

}  // namespace nanoplane::controller::core
