#include "controller/app/fleet_view.h"

#include <algorithm>

#include "common/instance_state_proto.h"
#include "controller/core/convert.h"

namespace nanoplane::controller::app {
namespace {

absl::Time TimeOr(const std::string& text, absl::Time fallback) {
  absl::StatusOr<absl::Time> time = core::ParseTimestamp(text);
  return time.ok() && !text.empty() ? *time : fallback;
}

core::Host HostOfSession(const ports::HostSession& session) {
  const agent::v1::Hello& hello = session.hello;
  return core::Host{.name = session.host,
                    .labels = core::Labels(hello.labels().begin(), hello.labels().end()),
                    .allocatable = {.memory_bytes = hello.capacity().memory_bytes(),
                                    .cpus = hello.capacity().cpus()}};
}

core::Host HostFromRecord(const ports::HostRecord& record, const FleetOptions& options) {
  return core::Host{
      .name = record.name,
      .labels = record.labels,
      .allocatable = {.memory_bytes = record.memory_bytes, .cpus = record.cpus},
      .ready = false,
      .not_ready_since = std::max(record.last_seen, options.started) + options.host_grace_period};
}

}  // namespace

ParsedReport::ParsedReport(const agent::v1::InstanceReport& report)
    : report(&report), ready_since(TimeOr(report.ready_since(), absl::InfinitePast())) {
  if (!report.started_at().empty()) {
    started_at = TimeOr(report.started_at(), absl::InfinitePast());
  }
}

IndexedSession::IndexedSession(std::shared_ptr<const ports::HostSession> shared)
    : session(std::move(shared)), host(HostOfSession(*session)) {
  for (const agent::v1::InstanceReport& report : session->instances) {
    reports.emplace(report.identity().name(), ParsedReport(report));
  }
}

const ParsedReport* IndexedSession::Parsed(std::string_view name) const {
  auto it = reports.find(name);
  return it == reports.end() ? nullptr : &it->second;
}

void ReportedNames::Replace(const IndexedSession* before, const IndexedSession* after) {
  static const IndexedSession::Reports kNone;
  const auto& old_reports = before != nullptr ? before->reports : kNone;
  const auto& new_reports = after != nullptr ? after->reports : kNone;
  absl::MutexLock lock(&mu_);
  // Only the names that come or go change a count.
  for (const auto& [name, report] : old_reports) {
    if (new_reports.contains(name)) {
      continue;
    }
    auto it = counts_.find(absl::string_view(name.data(), name.size()));
    if (it != counts_.end() && --it->second <= 0) {
      counts_.erase(it);
    }
  }
  for (const auto& [name, report] : new_reports) {
    if (old_reports.contains(name)) {
      continue;
    }
    auto it = counts_.find(absl::string_view(name.data(), name.size()));
    if (it == counts_.end()) {
      counts_.emplace(std::string(name), 1);
    } else {
      ++it->second;
    }
  }
}

bool ReportedNames::Contains(std::string_view name) const {
  absl::MutexLock lock(&mu_);
  return counts_.contains(absl::string_view(name.data(), name.size()));
}

namespace {

// Indexes the sessions, keeping the entries of `old` whose session is the same,
// and tells `names` what changed.
std::shared_ptr<const SessionIndex> Index(const ports::SessionList& sessions,
                                          const SessionIndex* old, ReportedNames& names) {
  auto index = std::make_shared<SessionIndex>();
  for (const std::shared_ptr<const ports::HostSession>& session : sessions) {
    std::shared_ptr<const IndexedSession>& slot = (*index)[session->host];
    const IndexedSession* before = nullptr;
    if (old != nullptr) {
      auto it = old->find(session->host);
      if (it != old->end() && it->second->session == session) {
        slot = it->second;
        continue;
      }
      before = it != old->end() ? it->second.get() : nullptr;
    }
    slot = std::make_shared<const IndexedSession>(session);
    names.Replace(before, slot.get());
  }
  if (old != nullptr) {
    for (const auto& [host, indexed] : *old) {
      if (!index->contains(host)) {
        names.Replace(indexed.get(), nullptr);
      }
    }
  }
  return index;
}

std::shared_ptr<const FleetBase> MakeBase(
    std::shared_ptr<const ports::SessionList> sessions,
    std::shared_ptr<const std::vector<ports::HostRecord>> registry, const FleetOptions& options,
    const FleetBase* old, const std::shared_ptr<ReportedNames>& names) {
  auto base = std::make_shared<FleetBase>();
  base->names = names;
  base->sessions = old != nullptr && *old->given == *sessions
                       ? old->sessions
                       : Index(*sessions, old != nullptr ? old->sessions.get() : nullptr, *names);
  base->given = std::move(sessions);
  base->registry = std::move(registry);
  base->started = options.started;
  std::vector<std::pair<core::Host, const ports::HostSession*>> hosts;
  for (const auto& [name, indexed] : *base->sessions) {
    hosts.emplace_back(indexed->host, indexed->session.get());
  }
  for (const ports::HostRecord& record : *base->registry) {
    if (!base->sessions->contains(record.name)) {
      hosts.emplace_back(HostFromRecord(record, options), nullptr);
    }
  }
  std::sort(hosts.begin(), hosts.end(),
            [](const auto& a, const auto& b) { return a.first.name < b.first.name; });
  for (auto& [host, session] : hosts) {
    base->hosts.push_back(std::move(host));
    base->host_sessions.push_back(session);
  }
  return base;
}

}  // namespace

std::shared_ptr<const FleetBase> FleetCache::Update(
    std::shared_ptr<const ports::SessionList> sessions,
    std::shared_ptr<const std::vector<ports::HostRecord>> registry, const FleetOptions& options) {
  absl::MutexLock lock(&mu_);
  // Pointers only: the same list, or one of the same sessions.
  bool same_sessions =
      current_ != nullptr && (current_->given == sessions || *current_->given == *sessions);
  if (!same_sessions || current_->registry != registry || current_->started != options.started) {
    current_ = MakeBase(std::move(sessions), std::move(registry), options, current_.get(), names_);
  }
  return current_;
}

bool SessionReady(const ports::HostSession& session, absl::Time now, absl::Duration grace) {
  return session.connected || now - session.last_seen < grace;
}

namespace {

std::shared_ptr<const FleetBase> BaseOf(std::vector<ports::HostSession> sessions,
                                        const std::vector<ports::HostRecord>& registry,
                                        const FleetOptions& options) {
  std::vector<std::shared_ptr<const ports::HostSession>> shared;
  for (ports::HostSession& session : sessions) {
    shared.push_back(std::make_shared<const ports::HostSession>(std::move(session)));
  }
  return FleetCache().Update(
      std::move(shared), std::make_shared<const std::vector<ports::HostRecord>>(registry), options);
}

}  // namespace

FleetView::FleetView(std::vector<ports::HostSession> sessions,
                     const std::vector<ports::HostRecord>& registry,
                     const AssignedResources& assigned, absl::Time now, const FleetOptions& options)
    : FleetView(BaseOf(std::move(sessions), registry, options), assigned, now, options) {}

namespace {

// What a view measures per host on top of its base.
struct HostState {
  bool ready = true;
  absl::Time not_ready_since = absl::InfinitePast();
  core::Resources assigned;
};

// Whether `previous` is what measuring `base` with `state` gives. Compared by
// value, not by the base's identity: every heartbeat (several per millisecond
// with a thousand hosts) gives a new base with the same hosts.
bool Matches(const core::Host& previous, const core::Host& base, const HostState& state) {
  return previous.ready == state.ready && previous.not_ready_since == state.not_ready_since &&
         previous.assigned == state.assigned && previous.allocatable == base.allocatable &&
         previous.name == base.name && previous.labels == base.labels;
}

}  // namespace

FleetView::FleetView(std::shared_ptr<const FleetBase> base, const AssignedResources& assigned,
                     absl::Time now, const FleetOptions& options, const core::HostList* previous)
    : base_(std::move(base)) {
  const std::vector<core::Host>& hosts = base_->hosts;
  std::vector<HostState> states(hosts.size());
  auto sum = assigned.begin();
  for (size_t i = 0; i < hosts.size(); ++i) {
    const core::Host& host = hosts[i];
    HostState& state = states[i];
    state.ready = host.ready;
    state.not_ready_since = host.not_ready_since;
    state.assigned = host.assigned;
    if (const ports::HostSession* session = base_->host_sessions[i]; session != nullptr) {
      state.ready = SessionReady(*session, now, options.host_grace_period);
      if (!state.ready) {
        state.not_ready_since = session->last_seen + options.host_grace_period;
      } else if (!session->connected) {
        // Ready on its grace period alone: NotReady once it ends.
        valid_until_ = std::min(valid_until_, session->last_seen + options.host_grace_period);
      }
    }
    // Both sorted by name: a merge rather than a lookup per host.
    while (sum != assigned.end() && sum->first < host.name) {
      ++sum;
    }
    if (sum != assigned.end() && sum->first == host.name) {
      state.assigned = sum->second;
    }
  }
  bool same = previous != nullptr && previous->size() == hosts.size();
  for (size_t i = 0; same && i < hosts.size(); ++i) {
    same = Matches((*previous)[i], hosts[i], states[i]);
  }
  if (same) {
    hosts_ = *previous;
    return;
  }
  std::vector<core::Host> measured = hosts;
  for (size_t i = 0; i < measured.size(); ++i) {
    core::Host& host = measured[i];
    host.ready = states[i].ready;
    host.not_ready_since = states[i].not_ready_since;
    host.assigned = states[i].assigned;
  }
  hosts_ = core::HostList(std::move(measured));
}

const IndexedSession* FleetView::Find(const std::string& host) const {
  auto it = base_->sessions->find(host);
  return it == base_->sessions->end() ? nullptr : it->second.get();
}

const ports::HostSession* FleetView::Session(const std::string& host) const {
  const IndexedSession* indexed = Find(host);
  return indexed == nullptr ? nullptr : indexed->session.get();
}

const agent::v1::InstanceReport* FleetView::Report(const std::string& host,
                                                   const std::string& name) const {
  const ParsedReport* parsed = Parsed(host, name);
  return parsed == nullptr ? nullptr : parsed->report;
}

const ParsedReport* FleetView::Parsed(const std::string& host, const std::string& name) const {
  const IndexedSession* indexed = Find(host);
  return indexed == nullptr ? nullptr : indexed->Parsed(name);
}

bool FleetView::Reported(std::string_view name) const { return base_->names->Contains(name); }

core::InstancePhase PhaseFromReport(v1alpha1::InstancePhase phase) {
  return PhaseFromProto(phase).value_or(core::InstancePhase::kPending);
}

namespace {

void FillFromReport(const ParsedReport& parsed, core::Instance& out) {
  const agent::v1::InstanceReport& report = *parsed.report;
  out.phase = PhaseFromReport(report.phase());
  out.ready = report.ready();
  out.ready_since = parsed.ready_since;
  out.restarts = report.restarts();
  out.address = report.address();
  for (const v1alpha1::PortStatus& port : report.ports()) {
    out.ports.push_back(
        core::PortStatus{.name = port.name(),
                         .port = port.port(),
                         .protocol = port.protocol() == v1alpha1::UDP ? "UDP" : "TCP",
                         .host_ip = port.host_ip(),
                         .host_port = port.host_port()});
  }
  out.message = report.message();
  out.reason = report.reason();
  if (report.has_exit_code()) {
    out.exit_code = report.exit_code();
  }
  out.started_time = parsed.started_at;
}

}  // namespace

namespace {

core::InstancePhase PhaseOf(bool stop_requested, int64_t generation,
                            const ports::HostSession* session,
                            const agent::v1::InstanceReport* report, bool expected) {
  if (report != nullptr) {
    return PhaseFromReport(report->phase());
  }
  // Whether the agent has applied the assignment that settles this instance:
  // only then does its absence from the report mean anything.
  bool settled = session != nullptr && generation > 0 && session->applied_generation >= generation;
  bool adopted_unsent = session != nullptr && generation == 0 && !stop_requested;
  if (stop_requested && settled) {
    return core::InstancePhase::kSucceeded;
  }
  if (!stop_requested && (settled || adopted_unsent) && !expected) {
    return core::InstancePhase::kFailed;
  }
  return core::InstancePhase::kPending;
}

}  // namespace

core::InstancePhase MergedPhase(const AssignedInstance& assigned, const ports::HostSession* session,
                                const agent::v1::InstanceReport* report, bool expected) {
  return PhaseOf(assigned.stop_requested, assigned.generation, session, report, expected);
}

core::Instance MergeInstance(const AssignedInstance& assigned, const ports::HostSession* session,
                             const agent::v1::InstanceReport* report, bool expected) {
  if (report == nullptr) {
    return MergeParsed(assigned, session, nullptr, expected);
  }
  ParsedReport parsed(*report);
  return MergeParsed(assigned, session, &parsed, expected);
}

core::Instance MergeParsed(const AssignedInstance& assigned, const ports::HostSession* session,
                           const ParsedReport* report, bool expected) {
  return MergeCopy(AssignedCopy::Of(assigned), session, report, expected);
}

core::Instance MergeCopy(const AssignedCopy& assigned, const ports::HostSession* session,
                         const ParsedReport* report, bool expected) {
  core::Instance out{.name = assigned.name(),
                     .host = assigned.host,
                     .revision_hash = assigned.identity->spec_hash(),
                     .created_time = assigned.created_time,
                     .stop_requested = assigned.stop_requested};
  if (report != nullptr) {
    FillFromReport(*report, out);
    return out;
  }
  out.phase = PhaseOf(out.stop_requested, assigned.generation, session, nullptr, expected);
  if (out.phase == core::InstancePhase::kFailed) {
    out.message = "assigned, but its agent does not report it";
  }
  return out;
}

}  // namespace nanoplane::controller::app
