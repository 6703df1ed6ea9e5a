#pragma once

// Reconciler: one level-triggered pass for one Unikernel key. It measures the
// core's input (the object as the Store's watch delivered it, or its absence;
// its revisions; the fleet from the AgentHub and the host registry; its
// instances from the assignment table joined with the agents' reports), calls
// core::Reconcile, and executes the actions in order through the ports (see
// ActionExecutor). It never assumes an action worked: the next pass measures
// again.
//
// On first sight of a live Unikernel it adds the finalizer, so that deletion
// waits until its instances are stopped.
//
// Thread-safe: passes for different keys may run concurrently; the work queue
// guarantees one pass per key at a time.
//
// Status codes (Reconcile): whatever the Store returns (Unavailable, Aborted on
// a conflict that retries did not resolve, ...: retry with back-off);
// FailedPrecondition when the object's spec is invalid or cannot be read into
// the core's types. That one is terminal until the object changes: the pass
// has written it to the status (Degraded, reason InvalidSpec) and as a
// Warning event, and left the running instances alone.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "controller/app/assignment_table.h"
#include "controller/app/expectations.h"
#include "controller/app/fleet_view.h"
#include "controller/app/object_cache.h"
#include "controller/app/revision_cache.h"
#include "controller/core/reconcile.h"
#include "controller/ports/agent_hub.h"
#include "controller/ports/store.h"

namespace nanoplane::controller::app {

struct ReconcilerOptions {
  absl::Duration host_grace_period = absl::Seconds(40);
  absl::Duration eviction_timeout = absl::Minutes(5);
  // How long a started instance may go unreported before it counts as lost.
  absl::Duration expectation_timeout = absl::Minutes(2);
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

// "ns/name" <-> ObjectKey, the work queue's keys.
std::string KeyString(const ports::ObjectKey& key);
ports::ObjectKey ParseKey(const std::string& key);

class Reconciler {
 public:
  // The ports and the table must outlive the reconciler.
  Reconciler(ports::Store& store, ports::AgentHub& hub, AssignmentTable& table,
             ReconcilerOptions options);

  // One pass; returns when to look again although nothing may change before
  // (nullopt: only on a trigger).
  [[nodiscard]] absl::StatusOr<std::optional<absl::Duration>> Reconcile(
      const ports::ObjectKey& key);

  // The fleet as the next pass will see it.
  FleetView MeasureFleet() const;

  // The registered hosts (from the Store), for hosts that have not said hello
  // to this controller; and when this controller finished its startup wait.
  void SetRegistry(std::vector<ports::HostRecord> registry, absl::Time started);

  absl::Time started() const;
  Expectations& expectations() { return expectations_; }
  // The objects as the controller's watch delivered them; passes read from
  // here and fall back to the Store for what it does not hold.
  ObjectCache& objects() { return objects_; }
  const ReconcilerOptions& options() const { return options_; }

 private:
  // Reads the object (null when gone) and adds the finalizer when missing.
  absl::StatusOr<ObjectCache::Object> ReadObject(const ports::ObjectKey& key);
  // Also sets `pending_until` to the earliest deadline of an instance whose
  // start is expected and not reported yet.
  absl::StatusOr<core::ReconcileInput> MeasureInput(
      const ports::ObjectKey& key, const v1alpha1::Unikernel* object,
      const std::vector<ports::RevisionRecord>& revisions,
      std::optional<absl::Time>& pending_until);
  // Reports an invalid object in its status and events; returns the terminal
  // error (FailedPrecondition) for the work queue.
  absl::Status RefuseInvalid(const ports::ObjectKey& key, ObjectCache::Object object,
                             const absl::Status& invalid);
  // Puts an object one of our writes returned into the cache, converted
  // (Desired) and without its status.
  void Remember(const ports::ObjectKey& key, const v1alpha1::Unikernel& written);
  // core::DesiredFromProto, remembered per object version: the conversion
  // (defaults, the template's hash, the status) is pure, and every pass of an
  // unchanged object would repeat it.
  absl::StatusOr<core::DesiredUnikernel> Desired(const ports::ObjectKey& key,
                                                 const v1alpha1::Unikernel& object);
  ports::Store& store_;
  ports::AgentHub& hub_;
  AssignmentTable& table_;
  const ReconcilerOptions options_;
  Expectations expectations_;
  ObjectCache objects_;
  RevisionCache revisions_;
  mutable FleetCache fleet_;
  // The last view measured, and the assignments it measured: while neither
  // changes, passes share it, and a new one shares its hosts when they measure
  // the same (a thousand hosts measured or copied per pass were most of an
  // idle pass's cost).
  mutable absl::Mutex view_mu_;
  mutable std::optional<FleetView> last_view_ ABSL_GUARDED_BY(view_mu_);
  mutable std::shared_ptr<const AssignedResources> last_assigned_ ABSL_GUARDED_BY(view_mu_);
  absl::Mutex desired_mu_;
  // key -> (resourceVersion, its conversion)
  std::map<ports::ObjectKey, std::pair<std::string, core::DesiredUnikernel>> desired_
      ABSL_GUARDED_BY(desired_mu_);
  mutable absl::Mutex mu_;
  // Shared with the views, which each pass builds: never copied per pass.
  std::shared_ptr<const std::vector<ports::HostRecord>> registry_ ABSL_GUARDED_BY(mu_) =
      std::make_shared<const std::vector<ports::HostRecord>>();
  absl::Time started_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace nanoplane::controller::app
