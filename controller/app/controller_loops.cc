// The Controller's trigger loops: the Store watch and the host loop.

#include <algorithm>
#include <malloc.h>

#include "common/log.h"
#include "controller/app/controller.h"
#include "controller/app/fleet_view.h"
#include "controller/app/rebuild.h"
#include "controller/core/types.h"

namespace nanoplane::controller::app {
namespace {

constexpr absl::Duration kRetryPause = absl::Milliseconds(100);
constexpr absl::Duration kWatchPoll = absl::Seconds(1);

}  // namespace

void Controller::WatchLoop() {
  while (!stopping_) {
    // Level-triggered: after a List every object is enqueued, so a relist
    // (on OutOfRange, 410 Gone, or any broken watch) loses nothing.
    absl::StatusOr<ports::UnikernelList> list = store_.List(ports::ListOptions{});
    if (!list.ok()) {
      absl::SleepFor(kRetryPause);
      continue;
    }
    for (const v1alpha1::Unikernel& object : list->items) {
      Enqueue(ObjectCache::KeyOf(object));
    }
    std::string version = list->resource_version;
    // The objects move into the cache rather than live on in `list` for as
    // long as this watch does.
    reconciler_.objects().Replace(std::move(list->items));
    absl::StatusOr<std::unique_ptr<ports::Watcher>> watcher =
        store_.Watch(ports::WatchOptions{.resource_version = version});
    if (!watcher.ok()) {
      absl::SleepFor(kRetryPause);
      continue;
    }
    ports::Watcher* w = watcher->get();
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) {
        return;
      }
      watcher_ = *std::move(watcher);
    }
    while (!stopping_) {
      absl::StatusOr<std::vector<ports::WatchEvent>> events = w->Next(absl::Now() + kWatchPoll);
      if (!events.ok()) {
        if (!absl::IsCancelled(events.status())) {
          Log(LogLevel::kDebug, "watch ended; relisting",
              {{"component", options_.identity},
               {"error", std::string(events.status().message())}});
        }
        break;
      }
      for (const ports::WatchEvent& event : *events) {
        // Cached before the pass it triggers reads it.
        reconciler_.objects().Apply(event);
        Enqueue(ObjectCache::KeyOf(event.object));
      }
    }
    absl::MutexLock lock(&mu_);
    watcher_.reset();
  }
}

void Controller::HostLoop() {
  last_resync_ = absl::Now();
  while (!stopping_) {
    std::set<std::string> changed;
    {
      absl::MutexLock lock(&mu_);
      if (changed_hosts_.empty() && !stopping_) {
        wake_.WaitWithTimeout(&mu_, options_.host_tick);
      }
      changed.swap(changed_hosts_);
    }
    if (stopping_) {
      return;
    }
    SyncHosts(changed);
    if (absl::Now() - last_resync_ >= options_.resync_period) {
      last_resync_ = absl::Now();
      absl::StatusOr<std::vector<ports::HostRecord>> registry = store_.ListHosts();
      if (registry.ok()) {
        reconciler_.SetRegistry(*registry, reconciler_.started());
      }
      EnqueueAll();
    }
  }
}

void Controller::SyncHosts(const std::set<std::string>& changed) {
  std::shared_ptr<const ports::SessionList> listed = hub_.SharedHosts();
  const ports::SessionList& sessions = *listed;
  absl::Time now = absl::Now();
  TemplateCache templates(store_);
  bool flipped = false;
  for (const std::shared_ptr<const ports::HostSession>& shared : sessions) {
    const ports::HostSession& session = *shared;
    bool ready = SessionReady(session, now, options_.host_grace_period);
    auto [it, inserted] = host_ready_.emplace(session.host, ready);
    // A new host or a readiness flip changes where everything may run.
    flipped = flipped || inserted || it->second != ready;
    it->second = ready;
    if (!changed.contains(session.host)) {
      continue;
    }
    // A host this controller never assigned may run instances the rebuild did
    // not see (it was silent then); adopt them rather than run duplicates.
    if (!table_.HostAssigned(session.host)) {
      AdoptReported(session, templates, table_);
    }
    for (const ports::ObjectKey& key : table_.KeysOnHost(session.host)) {
      Enqueue(key);
    }
  }
  RefreshRegistry(sessions);
  reconciler_.expectations().Expire(now);
  if (flipped) {
    EnqueueAll();
  }
  if (now - last_trim_ >= options_.trim_period) {
    last_trim_ = now;
    ReturnFreeMemory();
  }
  if (now - last_gauges_ >= options_.gauge_period) {
    last_gauges_ = now;
    UpdateGauges();
  }
}

void Controller::ReturnFreeMemory() {
#ifdef __GLIBC__
  // glibc keeps freed memory resident in its arenas, and a rollout frees a
  // lot of it: every status, report and host set is replaced many times over.
  // Returning it between bursts keeps the peak near what is in use (at 50,000
  // instances, ~20 MiB less); it takes a few milliseconds.
  absl::Time start = absl::Now();
  malloc_trim(0);
  trim_duration_.Observe(absl::ToDoubleSeconds(absl::Now() - start));
#endif
}

void Controller::RefreshRegistry(
    const std::vector<std::shared_ptr<const ports::HostSession>>& sessions) {
  absl::Time now = absl::Now();
  absl::Duration refresh = options_.host_record_refresh;
  if (options_.host_record_writes_per_second > 0) {
    refresh = std::max(refresh, absl::Seconds(static_cast<double>(sessions.size()) /
                                              options_.host_record_writes_per_second));
  }
  for (const std::shared_ptr<const ports::HostSession>& shared : sessions) {
    const ports::HostSession& session = *shared;
    const agent::v1::Hello& hello = session.hello;
    ports::HostRecord record{.name = session.host,
                             .labels = ports::Labels(hello.labels().begin(), hello.labels().end()),
                             .memory_bytes = hello.capacity().memory_bytes(),
                             .cpus = hello.capacity().cpus(),
                             .last_seen = session.last_seen,
                             .state = SessionReady(session, now, options_.host_grace_period)
                                          ? ports::HostState::kReady
                                          : ports::HostState::kNotReady};
    auto it = host_records_.find(session.host);
    if (it != host_records_.end()) {
      ports::HostRecord previous = it->second;
      previous.last_seen = record.last_seen;
      // last_seen alone is refreshed only now and then: one durable write per
      // host per report would cost more than the registry is worth.
      if (previous == record &&
          record.last_seen - it->second.last_seen < refresh) {
        continue;
      }
    }
    absl::Status status = store_.PutHost(record);
    if (status.ok()) {
      host_records_[session.host] = record;
    }
  }
}

void Controller::UpdateGauges() {
  FleetView fleet = reconciler_.MeasureFleet();
  std::map<MetricLabels, double> hosts = {{{{"state", "Ready"}}, 0}, {{{"state", "NotReady"}}, 0}};
  std::map<std::string, bool> ready;
  for (const core::Host& host : fleet.hosts()) {
    ready[host.name] = host.ready;
    hosts[{{"state", host.ready ? "Ready" : "NotReady"}}] += 1;
  }
  hosts_.SetAll(hosts);
  std::map<MetricLabels, double> phases;
  absl::Time now = absl::Now();
  std::map<core::InstancePhase, int> counts;
  // Counted under the table's lock, without copying the instances: only the
  // phase of each is needed.
  table_.VisitAll([&](const AssignedInstance& assigned) {
    core::InstancePhase phase = MergedPhase(
        assigned, fleet.Session(assigned.host), fleet.Report(assigned.host, assigned.name()),
        reconciler_.expectations().Pending(assigned.name(), now));
    auto host_ready = ready.find(assigned.host);
    if (host_ready == ready.end() || !host_ready->second) {
      phase = core::InstancePhase::kUnknown;
    } else if (assigned.stop_requested && phase != core::InstancePhase::kSucceeded &&
               phase != core::InstancePhase::kFailed) {
      phase = core::InstancePhase::kTerminating;
    }
    ++counts[phase];
  });
  for (const auto& [phase, count] : counts) {
    phases[{{"phase", PhaseName(phase)}}] = count;
  }
  instances_.SetAll(phases);
  queue_depth_.Set(static_cast<double>(queue_.Len()));
}

}  // namespace nanoplane::controller::app
