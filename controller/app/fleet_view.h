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
//
// A view is built for every reconcile pass, so it never copies the agents'
// reports: it reads the hub's sessions through a SessionIndex, in which each
// session is indexed once and shared until the hub replaces it.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "controller/app/assignment_table.h"
#include "controller/core/host_list.h"
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

// A report with its times parsed, once per report rather than once per pass.
struct ParsedReport {
  explicit ParsedReport(const agent::v1::InstanceReport& report);

  const agent::v1::InstanceReport* report;
  absl::Time ready_since;                // InfinitePast when not ready
  std::optional<absl::Time> started_at;  // unset when never started
};

// One version of a host's session with its reports indexed by name. Immutable.
struct IndexedSession {
  explicit IndexedSession(std::shared_ptr<const ports::HostSession> shared);

  std::shared_ptr<const ports::HostSession> session;
  core::Host host;  // name, labels, allocatable; readiness and assigned are per view
  // Keys and values point into `session`. Hashed: every pass looks up each of
  // its instances here, and names share long prefixes.
  using Reports = absl::flat_hash_map<std::string_view, ParsedReport>;
  Reports reports;

  // This host's last report of the instance; null when it does not report it.
  const ParsedReport* Parsed(std::string_view name) const;
};

using SessionIndex = absl::flat_hash_map<std::string, std::shared_ptr<const IndexedSession>>;

// Every instance name the agents report, fleet-wide, kept up to date as the
// sessions are replaced (a diff per replaced session), so that a pass can ask
// whether a name is in use without walking every host. It may run ahead of an
// older view: a name then appears or disappears a little early, which only
// changes which names count as taken. Thread-safe.
class ReportedNames {
 public:
  // `before` is null for a new host, `after` null for one that is gone.
  void Replace(const IndexedSession* before, const IndexedSession* after);
  bool Contains(std::string_view name) const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, int> counts_ ABSL_GUARDED_BY(mu_);  // name -> hosts
};

// What every view shares until the hub replaces a session or the registry
// changes. Immutable.
struct FleetBase {
  std::shared_ptr<const ports::SessionList> given;  // as the hub listed them
  std::shared_ptr<const SessionIndex> sessions;
  std::shared_ptr<const std::vector<ports::HostRecord>> registry;
  absl::Time started;
  // Every host, sorted by name: from its session, else from the registry.
  // Readiness is final for registry hosts; the views set it for the others.
  std::vector<core::Host> hosts;
  std::vector<const ports::HostSession*> host_sessions;  // parallel to hosts; null: registry
  std::shared_ptr<const ReportedNames> names;            // shared by every base of one cache
};

// The FleetBase of the hub's latest sessions, re-indexing only the sessions
// the hub replaced since the last Update. Thread-safe.
class FleetCache {
 public:
  // An unchanged fleet costs one comparison: the hub's list is the same object.
  std::shared_ptr<const FleetBase> Update(
      std::shared_ptr<const ports::SessionList> sessions,
      std::shared_ptr<const std::vector<ports::HostRecord>> registry, const FleetOptions& options);
  std::shared_ptr<const FleetBase> Update(
      ports::SessionList sessions, std::shared_ptr<const std::vector<ports::HostRecord>> registry,
      const FleetOptions& options) {
    return Update(std::make_shared<const ports::SessionList>(std::move(sessions)),
                  std::move(registry), options);
  }

 private:
  absl::Mutex mu_;
  std::shared_ptr<const FleetBase> current_ ABSL_GUARDED_BY(mu_);
  const std::shared_ptr<ReportedNames> names_ = std::make_shared<ReportedNames>();
};

// Resources assigned per host, sorted by host name.
using AssignedResources = std::vector<std::pair<std::string, core::Resources>>;

class FleetView {
 public:
  // Indexes `sessions` itself (one-off views).
  FleetView(std::vector<ports::HostSession> sessions,
            const std::vector<ports::HostRecord>& registry, const AssignedResources& assigned,
            absl::Time now, const FleetOptions& options);
  FleetView(std::shared_ptr<const FleetBase> base, const AssignedResources& assigned,
            absl::Time now, const FleetOptions& options, const core::HostList* previous = nullptr);

  // Sorted by name.
  const std::vector<core::Host>& hosts() const { return hosts_.get(); }
  // hosts(), immutable and indexed, to share with passes and with the next
  // view: a view given the previous one's hosts shares them when every host
  // measures the same, rather than copying the fleet's hosts again.
  const core::HostList& SharedHosts() const { return hosts_; }
  // Until when this view measures what a new one would from the same base and
  // assignments: the first moment a silent host's grace period ends.
  absl::Time valid_until() const { return valid_until_; }
  const FleetBase* base() const { return base_.get(); }
  // The host's indexed session; null when it never said hello to this
  // controller.
  const IndexedSession* Find(const std::string& host) const;
  const ports::HostSession* Session(const std::string& host) const;
  // The host's last report of the instance; null when it does not report it.
  const agent::v1::InstanceReport* Report(const std::string& host, const std::string& name) const;
  const ParsedReport* Parsed(const std::string& host, const std::string& name) const;
  // Whether any agent reports an instance named `name`.
  bool Reported(std::string_view name) const;

 private:
  std::shared_ptr<const FleetBase> base_;
  core::HostList hosts_;
  absl::Time valid_until_ = absl::InfiniteFuture();
};

// The instance as the core sees it: the assignment joined with its agent's
// report. An instance the agent does not report is Pending while its start may
// still be in flight (the agent has not applied the assignment that added it,
// or `expected` says it was started recently), and Failed ("lost") once the
// agent applied that assignment without it; a stopping instance it does not
// report any more after applying the assignment without it has Succeeded.
core::Instance MergeInstance(const AssignedInstance& assigned, const ports::HostSession* session,
                             const agent::v1::InstanceReport* report, bool expected);
// The same over a report parsed beforehand.
core::Instance MergeParsed(const AssignedInstance& assigned, const ports::HostSession* session,
                           const ParsedReport* report, bool expected);

// MergeParsed over the table's copy of it.
core::Instance MergeCopy(const AssignedCopy& assigned, const ports::HostSession* session,
                         const ParsedReport* report, bool expected);

// MergeInstance(...).phase, without building the instance.
core::InstancePhase MergedPhase(const AssignedInstance& assigned, const ports::HostSession* session,
                                const agent::v1::InstanceReport* report, bool expected);

// The core phase of an agent's report phase.
core::InstancePhase PhaseFromReport(v1alpha1::InstancePhase phase);

}  // namespace nanoplane::controller::app
