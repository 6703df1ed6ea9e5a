#include "controller/core/fleet.h"

#include <tuple>

namespace nanoplane::controller::core {
namespace {

bool IsFinished(InstancePhase phase) {
  return phase == InstancePhase::kSucceeded || phase == InstancePhase::kFailed;
}

int64_t RevisionNumber(const std::vector<Revision>& revisions, const std::string& hash) {
  for (const Revision& revision : revisions) {
    if (revision.hash == hash) {
      return revision.number;
    }
  }
  return 0;
}

InstanceView Classify(const Instance& instance, const Host* host, const ClassifyOptions& opt) {
  InstanceView view;
  view.instance = &instance;
  view.host = host;
  view.updated = instance.revision_hash == opt.update_hash;
  view.host_ready = host != nullptr && host->ready;
  bool finished = IsFinished(instance.phase);
  view.phase = instance.phase;
  if (host != nullptr && !host->ready) {
    view.phase = InstancePhase::kUnknown;
  } else if (instance.stop_requested && !finished) {
    view.phase = InstancePhase::kTerminating;
  }
  view.evicted =
      host != nullptr && !host->ready && opt.now >= host->not_ready_since + opt.eviction_timeout;
  // Finished instances never run again (the agent restarts what its policy
  // allows and reports the rest as finished). A stop sent to a host that is
  // given up on needs no confirmation: an agent stops every VM it is no longer
  // assigned when it comes back.
  view.deletable = host == nullptr || finished || (instance.stop_requested && view.evicted);
  view.active = !view.deletable && !instance.stop_requested && !view.evicted;
  view.ready =
      view.active && view.host_ready && instance.ready && instance.phase == InstancePhase::kRunning;
  if (view.ready) {
    view.available_at = instance.ready_since + absl::Seconds(opt.min_ready_seconds);
    view.available = opt.now >= view.available_at;
  }
  return view;
}

}  // namespace

std::vector<InstanceView> ClassifyInstances(const std::vector<Instance>& instances,
                                            const HostList& hosts,
                                            const std::vector<Revision>& revisions,
                                            const ClassifyOptions& options) {
  std::vector<InstanceView> views;
  views.reserve(instances.size());
  if (instances.empty()) {
    return views;
  }
  for (const Instance& instance : instances) {
    InstanceView view = Classify(instance, hosts.Find(instance.host), options);
    view.revision = RevisionNumber(revisions, instance.revision_hash);
    views.push_back(view);
  }
  return views;
}

bool StopsBefore(const InstanceView& a, const InstanceView& b) {
  const Instance& x = *a.instance;
  const Instance& y = *b.instance;
  bool x_running = x.phase == InstancePhase::kRunning;
  bool y_running = y.phase == InstancePhase::kRunning;
  // Every key sorts "stop first" as smaller. A later ready_since means ready
  // for a shorter time, so it is negated, as are restarts and creation time.
  absl::Duration x_ready = a.ready ? -(x.ready_since - absl::UnixEpoch()) : absl::Duration();
  absl::Duration y_ready = b.ready ? -(y.ready_since - absl::UnixEpoch()) : absl::Duration();
  return std::make_tuple(a.host_ready, x_running, a.ready, a.available, x_ready, -x.restarts,
                         a.revision, -(x.created_time - absl::UnixEpoch()), x.name) <
         std::make_tuple(b.host_ready, y_running, b.ready, b.available, y_ready, -y.restarts,
                         b.revision, -(y.created_time - absl::UnixEpoch()), y.name);
}

void Rank(std::vector<const InstanceView*>& views) {
  std::sort(views.begin(), views.end(),
            [](const InstanceView* a, const InstanceView* b) { return StopsBefore(*a, *b); });
}

FleetCounts CountActive(const std::vector<InstanceView>& views) {
  FleetCounts counts;
  for (const InstanceView& view : views) {
    if (!view.active) {
      continue;
    }
    ++counts.active;
    counts.ready += view.ready;
    counts.available += view.available;
    if (view.updated) {
      ++counts.updated;
      counts.updated_ready += view.ready;
      counts.updated_available += view.available;
    }
  }
  return counts;
}

}  // namespace nanoplane::controller::core
