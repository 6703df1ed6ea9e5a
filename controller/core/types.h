#pragma once

// The controller core's value types: plain snapshots of the desired object, the
// observed instances, hosts and revisions, and the status the core computes.
// They carry no behaviour and compare with ==, so tests can write them with
// designated initializers and compare whole results.

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/instance_state.h"

namespace nanoplane::controller::core {

using ::nanoplane::InstancePhase;  // common/'s, shared with the agent

using Labels = std::map<std::string, std::string>;

// What one instance asks of a host, or what a host offers.
struct Resources {
  int64_t memory_bytes = 0;
  int64_t cpus = 0;
  bool operator==(const Resources&) const = default;
};

// A Kubernetes IntOrString as used by maxSurge/maxUnavailable: 2 or "25%".
struct IntOrPercent {
  int64_t value = 0;
  bool is_percent = false;
  bool operator==(const IntOrPercent&) const = default;
};

enum class StrategyType { kRollingUpdate, kRecreate };
enum class WhenUnsatisfiable { kScheduleAnyway, kDoNotSchedule };

struct Spread {
  int32_t max_skew = 1;
  WhenUnsatisfiable when_unsatisfiable = WhenUnsatisfiable::kScheduleAnyway;
  bool operator==(const Spread&) const = default;
};

// The instance template as the core sees it: its identity (the hash of its
// canonical form), the canonical form itself (kept in the revision history for
// undo) and the one part the scheduler reads.
struct Template {
  std::string hash;  // hex sha256 of `canonical`
  std::string canonical;
  Resources resources;
  bool operator==(const Template&) const = default;
};

enum class ConditionStatus { kTrue, kFalse, kUnknown };

struct Condition {
  std::string type;  // "Available", "Progressing", "Degraded"
  ConditionStatus status = ConditionStatus::kUnknown;
  std::string reason;
  std::string message;
  absl::Time last_transition_time;
  bool operator==(const Condition&) const = default;
};

struct PortStatus {
  std::string name;
  int32_t port = 0;
  std::string protocol;
  std::string host_ip;
  int32_t host_port = 0;
  bool operator==(const PortStatus&) const = default;
};

struct InstanceStatus {
  std::string name;
  std::string host;
  int64_t revision = 0;
  InstancePhase phase = InstancePhase::kPending;
  bool ready = false;
  int32_t restarts = 0;
  std::string address;
  std::vector<PortStatus> ports;
  std::string message;
  std::optional<int32_t> exit_code;
  std::optional<absl::Time> started_time;
  bool operator==(const InstanceStatus&) const = default;
};

struct UnikernelStatus {
  int64_t observed_generation = 0;
  int32_t replicas = 0;
  int32_t updated_replicas = 0;
  int32_t ready_replicas = 0;
  int32_t available_replicas = 0;
  int32_t unavailable_replicas = 0;
  int64_t current_revision = 0;
  int64_t update_revision = 0;
  std::vector<Condition> conditions;
  std::vector<InstanceStatus> instances;  // sorted by name
  std::string selector;
  bool operator==(const UnikernelStatus&) const = default;
};

// The Unikernel as stored, reduced to what the decisions read (the defaulted
// spec, its deletion state and the status last written).
struct DesiredUnikernel {
  std::string ns = "default";
  std::string name;
  int64_t generation = 0;
  bool deleting = false;       // metadata.deletionTimestamp is set
  bool has_finalizer = false;  // ours is still in metadata.finalizers
  int32_t replicas = 1;
  bool paused = false;
  int32_t min_ready_seconds = 0;
  int32_t progress_deadline_seconds = 600;
  int32_t revision_history_limit = 10;
  StrategyType strategy = StrategyType::kRollingUpdate;
  IntOrPercent max_surge{25, true};
  IntOrPercent max_unavailable{25, true};
  Labels host_selector;
  Spread spread;
  Template tmpl;
  UnikernelStatus status;  // as last written
  bool operator==(const DesiredUnikernel&) const = default;
};

// One instance of the Unikernel as the app measured it: the controller's
// assignment merged with the last report of the instance's host. An assigned
// instance that its agent has not reported yet is kPending.
struct Instance {
  std::string name;
  std::string host;
  std::string revision_hash;  // the Template::hash it runs
  InstancePhase phase = InstancePhase::kPending;
  bool ready = false;
  absl::Time ready_since = absl::InfinitePast();  // meaningful when ready
  absl::Time created_time = absl::InfinitePast();
  int32_t restarts = 0;
  bool stop_requested = false;  // a StopInstance for it was executed
  std::string address;
  std::vector<PortStatus> ports;
  std::string message;
  std::string reason;  // the agent's, e.g. kImageBuildFailed; empty normally
  std::optional<int32_t> exit_code;
  std::optional<absl::Time> started_time;
  bool operator==(const Instance&) const = default;
};

// A host as the agent hub sees it. `assigned` sums the resources of every
// instance assigned to it fleet-wide (this Unikernel's included) that is not
// yet deleted.
struct Host {
  std::string name;
  Labels labels;
  Resources allocatable;
  Resources assigned;
  bool ready = true;
  absl::Time not_ready_since = absl::InfinitePast();  // meaningful when !ready
  bool operator==(const Host&) const = default;
};

// One entry of the revision history. Numbers increase; re-applying an old
// template moves its entry to a new number (like `kubectl rollout undo`).
struct Revision {
  int64_t number = 0;
  std::string hash;
  std::string canonical;  // the template, for history and undo
  absl::Time created_time;
  // When the rollout to this revision last progressed; the progress deadline
  // counts from here. Kept here because the API's conditions carry only
  // lastTransitionTime.
  absl::Time progress_time;
  bool operator==(const Revision&) const = default;
};

// The API's spellings: "True", "False", "Unknown".
const char* ConditionStatusName(ConditionStatus status);

// gtest printers, so failing comparisons show values rather than bytes.
void PrintTo(const Condition& condition, std::ostream* os);
void PrintTo(const InstanceStatus& instance, std::ostream* os);
void PrintTo(const UnikernelStatus& status, std::ostream* os);
void PrintTo(const Revision& revision, std::ostream* os);
void PrintTo(const Instance& instance, std::ostream* os);

}  // namespace nanoplane::controller::core
