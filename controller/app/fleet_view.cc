#include "controller/app/fleet_view.h"

#include <algorithm>

#include "controller/core/convert.h"

namespace nanoplane::controller::app {
namespace {

absl::Time TimeOr(const std::string& text, absl::Time fallback) {
  absl::StatusOr<absl::Time> time = core::ParseTimestamp(text);
  return time.ok() && !text.empty() ? *time : fallback;
}

core::Host HostFromSession(const ports::HostSession& session, absl::Time now,
                           absl::Duration grace) {
  const agent::v1::Hello& hello = session.hello;
  core::Host host{.name = session.host,
                  .labels = core::Labels(hello.labels().begin(), hello.labels().end()),
                  .allocatable = {.memory_bytes = hello.capacity().memory_bytes(),
                                  .cpus = hello.capacity().cpus()}};
  host.ready = SessionReady(session, now, grace);
  if (!host.ready) {
    host.not_ready_since = session.last_seen + grace;
  }
  return host;
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

bool SessionReady(const ports::HostSession& session, absl::Time now, absl::Duration grace) {
  return session.connected || now - session.last_seen < grace;
}

FleetView::FleetView(std::vector<ports::HostSession> sessions,
                     const std::vector<ports::HostRecord>& registry,
                     const std::map<std::string, core::Resources>& assigned, absl::Time now,
                     const FleetOptions& options) {
  for (ports::HostSession& session : sessions) {
    std::string name = session.host;
    sessions_.emplace(name, std::move(session));
  }
  for (const auto& [name, session] : sessions_) {
    hosts_.push_back(HostFromSession(session, now, options.host_grace_period));
    for (const agent::v1::InstanceReport& report : session.instances) {
      reports_[{name, report.identity().name()}] = &report;
      reported_names_.insert(report.identity().name());
    }
  }
  for (const ports::HostRecord& record : registry) {
    if (!sessions_.contains(record.name)) {
      hosts_.push_back(HostFromRecord(record, options));
    }
  }
  for (core::Host& host : hosts_) {
    auto it = assigned.find(host.name);
    if (it != assigned.end()) {
      host.assigned = it->second;
    }
  }
}

const ports::HostSession* FleetView::Session(const std::string& host) const {
  auto it = sessions_.find(host);
  return it == sessions_.end() ? nullptr : &it->second;
}

const agent::v1::InstanceReport* FleetView::Report(const std::string& host,
                                                   const std::string& name) const {
  auto it = reports_.find({host, name});
  return it == reports_.end() ? nullptr : it->second;
}

core::InstancePhase PhaseFromReport(v1alpha1::InstancePhase phase) {
  if (phase <= v1alpha1::INSTANCE_PHASE_UNSPECIFIED || phase > v1alpha1::UNKNOWN_PHASE) {
    return core::InstancePhase::kPending;
  }
  return static_cast<core::InstancePhase>(static_cast<int>(phase) - 1);
}

namespace {

void FillFromReport(const agent::v1::InstanceReport& report, core::Instance& out) {
  out.phase = PhaseFromReport(report.phase());
  out.ready = report.ready();
  out.ready_since = TimeOr(report.ready_since(), absl::InfinitePast());
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
  if (report.has_exit_code()) {
    out.exit_code = report.exit_code();
  }
  if (!report.started_at().empty()) {
    out.started_time = TimeOr(report.started_at(), absl::InfinitePast());
  }
}

}  // namespace

core::Instance MergeInstance(const AssignedInstance& assigned, const ports::HostSession* session,
                             const agent::v1::InstanceReport* report, bool expected) {
  core::Instance out{.name = assigned.name(),
                     .host = assigned.host,
                     .revision_hash = assigned.assignment.identity().spec_hash(),
                     .created_time = assigned.created_time,
                     .stop_requested = assigned.stop_requested};
  if (report != nullptr) {
    FillFromReport(*report, out);
    return out;
  }
  // Whether the agent has applied the assignment that settles this instance:
  // only then does its absence from the report mean anything.
  bool settled = session != nullptr && assigned.generation > 0 &&
                 session->applied_generation >= assigned.generation;
  bool adopted_unsent = session != nullptr && assigned.generation == 0 && !assigned.stop_requested;
  if (assigned.stop_requested && settled) {
    out.phase = core::InstancePhase::kSucceeded;
  } else if (!assigned.stop_requested && (settled || adopted_unsent) && !expected) {
    out.phase = core::InstancePhase::kFailed;
    out.message = "assigned, but its agent does not report it";
  }
  return out;
}

}  // namespace nanoplane::controller::app
