#pragma once

// FleetView: one snapshot of the fleet as the core's input wants it, measured
// from the AgentHub's sessions, the Store's host registry and the assignment
// table. Plain functions over plain data; no I/O.
//
// Host readiness: a host is Ready while its agent is connected or was heard
// from within the grace period; it is NotReady from last_seen + grace on. A
// registered host that has not said hello to this controller is NotReady from
// the end of the startup wait (or its own last_seen + grace, if later), so a
// controller that was down does not count its own downtime towards eviction.

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "controller/app/assignment_table.h"
#include "controller/core/naming.h"
#include "controller/core/types.h"
#include "controller/ports/agent_hub.h"
#include "controller/ports/store_types.h"

namespace nanoplane::controller::app {

struct FleetOptions {
  absl::Duration host_grace_period = absl::Seconds(40);
  // When this controller started; hosts it never heard from count as NotReady
  // from started + host_grace_period at the earliest.
  absl::Time started = absl::InfinitePast();
};

bool SessionReady(const ports::HostSession& session, absl::Time now, absl::Duration grace);

class FleetView {
 public:
  FleetView(std::vector<ports::HostSession> sessions,
            const std::vector<ports::HostRecord>& registry,
            const std::map<std::string, core::Resources>& assigned, absl::Time now,
            const FleetOptions& options);

  const std::vector<core::Host>& hosts() const { return hosts_; }
  // Null when the host never said hello to this controller.
  const ports::HostSession* Session(const std::string& host) const;
  // The host's last report of the instance; null when it does not report it.
  const agent::v1::InstanceReport* Report(const std::string& host, const std::string& name) const;
  // Every instance name any agent reports.
  const core::NameSet& reported_names() const { return reported_names_; }

 private:
  std::map<std::string, ports::HostSession> sessions_;
  std::vector<core::Host> hosts_;
  std::map<std::pair<std::string, std::string>, const agent::v1::InstanceReport*> reports_;
  core::NameSet reported_names_;
};

// The instance as the core sees it: the assignment joined with its agent's
// report. An instance the agent does not report is Pending while its start may
// still be in flight (the agent has not applied the assignment that added it,
// or `expected` says it was started recently), and Failed ("lost") once the
// agent applied that assignment without it; a stopping instance it does not
// report any more after applying the assignment without it has Succeeded.
core::Instance MergeInstance(const AssignedInstance& assigned, const ports::HostSession* session,
                             const agent::v1::InstanceReport* report, bool expected);

// The core phase of an agent's report phase.
core::InstancePhase PhaseFromReport(v1alpha1::InstancePhase phase);

}  // namespace nanoplane::controller::app
