#pragma once

// AssignmentTable: the controller's own record of what it assigned to each
// host, and the only writer of AgentHub assignments. The hub takes a host's
// whole desired set at once, so every change here re-sends that host's full
// set; a per-host lock spans the change and its send, so two workers changing
// one host cannot overtake each other with stale sets.
//
// Sends for different hosts run in parallel; the hub is never called with the
// table's lock held.
//
// An instance stays in the table after StopInstance (stop_requested, no longer
// in the host's set) until DeleteInstance forgets it: the core needs to see a
// stopping instance until its agent confirms it is gone.
//
// The table lives in memory. A restarted controller rebuilds it (Adopt) from
// the agents' hellos and, for hosts that did not say hello, from the stored
// status, before it assigns anything.
//
// Thread-safe.
//
// Status codes
//   AlreadyExists   Start of a name that is in the table (on any host)
//   Aborted         Start beyond the host's capacity (a concurrent placement)

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "controller/core/naming.h"
#include "controller/core/types.h"
#include "controller/ports/agent_hub.h"
#include "controller/ports/store_types.h"

namespace nanoplane::controller::app {

struct AssignedInstance {
  ports::ObjectKey key;  // its Unikernel
  // Identity (name, spec hash) and template (none when adopted without a
  // known revision), as sent: the hub holds the same objects. Start and Adopt
  // replace the template with the one the revision's instances share.
  ports::SharedAssignment assignment;
  std::string host;
  core::Resources resources;
  absl::Time created_time = absl::InfinitePast();
  bool stop_requested = false;
  // The hub generation of the last assignment that added it (or, once
  // stop_requested, removed it); 0 when adopted and not yet sent.
  int64_t generation = 0;

  const std::string& name() const { return assignment.identity->name(); }
};

// What merging reads of an assigned instance, small enough to keep for every
// instance: the identity is shared, not copied.
struct AssignedCopy {
  std::shared_ptr<const agent::v1::InstanceIdentity> identity;  // name, spec hash
  std::string host;
  absl::Time created_time = absl::InfinitePast();
  bool stop_requested = false;
  int64_t generation = 0;
  static AssignedCopy Of(const AssignedInstance& assigned);
  const std::string& name() const { return identity->name(); }
};

class AssignmentTable {
 public:
  explicit AssignmentTable(ports::AgentHub& hub) : hub_(hub) {}

  // Records the instance and sends its host's set. AlreadyExists; Aborted when
  // the host's instances would then need more than `capacity` (when given):
  // another worker placed something there since the caller measured the fleet.
  [[nodiscard]] absl::Status Start(AssignedInstance instance,
                                   std::optional<core::Resources> capacity = std::nullopt);
  // Takes the instance out of its host's set, keeping it as stop_requested.
  // Unknown names are ignored (the action is idempotent).
  void Stop(const std::string& host, const std::string& name);
  // Forgets the instance; re-sends the host's set if it was still in it.
  void Delete(const std::string& host, const std::string& name);

  // Records an instance found running (or stored) without sending anything.
  // A name already in the table is kept as it is.
  void Adopt(AssignedInstance instance);

  std::vector<AssignedInstance> ForKey(const ports::ObjectKey& key) const;
  // The instances of `key` as merging reads them, sorted by name. Shared and
  // immutable until one of them changes: a pass takes it without copying the
  // instances under the table's lock, which every worker's pass needs.
  std::shared_ptr<const std::vector<AssignedCopy>> CopiesOfKey(const ports::ObjectKey& key) const;
  std::vector<std::string> NamesOfKey(const ports::ObjectKey& key) const;
  std::vector<AssignedInstance> All() const;
  // Calls `visit` for each instance of `key` / every instance, under the
  // table's lock and without copying: `visit` must be quick and must not call
  // the table.
  void VisitKey(const ports::ObjectKey& key,
                const std::function<void(const AssignedInstance&)>& visit) const;
  void VisitAll(const std::function<void(const AssignedInstance&)>& visit) const;
  std::set<ports::ObjectKey> KeysOnHost(const std::string& host) const;
  std::set<ports::ObjectKey> Keys() const;
  // Resources of every instance per host (stopping ones too: they still run),
  // sorted by host name. Shared until the table changes.
  std::shared_ptr<const std::vector<std::pair<std::string, core::Resources>>> AssignedByHost()
      const;
  core::NameSet Names() const;
  // Whether an instance of that name is in the table (on any host).
  bool Contains(std::string_view name) const;
  // The template the instances of revision `spec_hash` share; null when no
  // instance of it is in the table.
  std::shared_ptr<const v1alpha1::UnikernelTemplate> SharedTemplate(
      const std::string& spec_hash) const;
  // True once this controller has sent the host an assignment.
  bool HostAssigned(const std::string& host) const;

 private:
  // Applies `mutate` to the host's instances (under mu_); when it returns
  // true, sends the host's new set. Returns the mutation's error.
  using Mutation =
      std::function<absl::StatusOr<bool>(std::map<std::string, AssignedInstance>& instances)>;
  absl::Status ChangeHost(const std::string& host, const Mutation& mutate);
  // Keeps the indexes below in step with hosts_ (under mu_). REQUIRES:
  // `instance` is the one in hosts_.
  void Indexed(const AssignedInstance& instance) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Unindexed(const AssignedInstance& instance) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Replaces the instance's template with the one its revision's instances
  // share (under mu_).
  void ShareTemplate(AssignedInstance& instance) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the copies of the instance's key (under mu_): call on every change.
  void Changed(const AssignedInstance& instance) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  ports::AgentHub& hub_;
  mutable absl::Mutex mu_;
  // host -> instance name -> instance
  std::map<std::string, std::map<std::string, AssignedInstance>> hosts_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string, std::less<>> host_of_ ABSL_GUARDED_BY(mu_);  // name -> host
  // Indexes, so that a pass for one Unikernel costs what it has, not what the
  // fleet has: its instances' names, and each host's resource sum.
  // The pointers are into hosts_ (map nodes do not move).
  struct KeyInstances {
    std::map<std::string, const AssignedInstance*> by_name;
    // What CopiesOfKey returned last; reset by every change of one of them.
    mutable std::shared_ptr<const std::vector<AssignedCopy>> copies;
  };
  std::map<ports::ObjectKey, KeyInstances> of_key_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, core::Resources> assigned_ ABSL_GUARDED_BY(mu_);
  // assigned_ as AssignedByHost last returned it; reset by every change.
  mutable std::shared_ptr<const std::vector<std::pair<std::string, core::Resources>>>
      assigned_snapshot_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> sent_ ABSL_GUARDED_BY(mu_);  // hosts assigned
  // spec hash -> the template its instances share
  std::map<std::string, std::weak_ptr<const v1alpha1::UnikernelTemplate>> templates_
      ABSL_GUARDED_BY(mu_);
  // Per host: serializes change-and-send (see ChangeHost).
  std::map<std::string, std::shared_ptr<std::mutex>> send_mutexes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace nanoplane::controller::app
