#pragma once

// The records the Store keeps besides Unikernels: revisions, events, hosts, the
// artifact index and leases, plus the options and results of the Unikernel
// operations. Plain values that compare with ==.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/api.h"

namespace nanoplane::controller::ports {

using Labels = std::map<std::string, std::string>;

// namespace/name of a Unikernel.
struct ObjectKey {
  std::string ns = "default";
  std::string name;
  bool operator==(const ObjectKey&) const = default;
  auto operator<=>(const ObjectKey&) const = default;
};

// "ns/name", for messages and the artifact index's referrers.
std::string ToString(const ObjectKey& key);

// Optimistic-concurrency preconditions of a write. Empty means "any".
struct Preconditions {
  std::string resource_version;
  std::string uid;
};

struct ListOptions {
  std::optional<std::string> ns;  // nullopt: every namespace
};

struct UnikernelList {
  std::vector<v1alpha1::Unikernel> items;  // sorted by namespace, then name
  // The store's version at the time of the list: watch from here to miss nothing.
  std::string resource_version;
};

enum class WatchEventType { kAdded, kModified, kDeleted };

const char* WatchEventTypeName(WatchEventType type);

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  // The object after the change. For kDeleted, its last state with the
  // resourceVersion of the deletion (as Kubernetes sends it).
  v1alpha1::Unikernel object;
};

struct WatchOptions {
  // Deliver the changes after this version (from a List or a previous event).
  // Empty: from now on, with no replay.
  std::string resource_version;
  std::optional<std::string> ns;  // nullopt: every namespace
};

// One entry of a Unikernel's revision history (a ControllerRevision). Keyed by
// (unikernel, hash); numbers are unique per Unikernel too.
struct RevisionRecord {
  ObjectKey unikernel;
  std::string unikernel_uid;  // the owner; a Unikernel's removal removes them
  int64_t number = 0;
  std::string hash;
  std::string template_json;  // the template's canonical JSON, for history and undo
  absl::Time created_time = absl::UnixEpoch();
  // When the rollout to this revision last progressed (the core's progress time).
  absl::Time progress_time = absl::UnixEpoch();
  bool operator==(const RevisionRecord&) const = default;
};

enum class EventType { kNormal, kWarning };

// What an event is about (a Kubernetes ObjectReference, reduced).
struct ObjectReference {
  std::string kind = "Unikernel";
  std::string ns = "default";
  std::string name;
  std::string uid;
  bool operator==(const ObjectReference&) const = default;
};

// An event as recorded. Events that agree on object, type, reason and message
// are one record whose count grows (Kubernetes' event deduplication).
struct EventRecord {
  ObjectReference object;
  EventType type = EventType::kNormal;
  std::string reason;
  std::string message;
  int32_t count = 1;
  absl::Time first_time = absl::UnixEpoch();
  absl::Time last_time = absl::UnixEpoch();
  bool operator==(const EventRecord&) const = default;
};

struct EventFilter {
  std::optional<std::string> ns;
  std::optional<std::string> name;  // of the involved object
};

enum class HostState { kReady, kNotReady };

const char* HostStateName(HostState state);

// A host of the fleet as the registry keeps it (its agent's hello and reports).
struct HostRecord {
  std::string name;
  Labels labels;
  int64_t memory_bytes = 0;  // allocatable capacity
  int64_t cpus = 0;
  absl::Time last_seen = absl::UnixEpoch();
  HostState state = HostState::kReady;
  bool operator==(const HostRecord&) const = default;
};

// A blob of the artifact store as indexed. `referenced_by` holds the referrers
// (usually ToString(ObjectKey)) that currently need it.
struct ArtifactRecord {
  std::string digest;  // 64 lower-case hex digits (sha256)
  int64_t size = 0;
  absl::Time created_time = absl::UnixEpoch();
  std::set<std::string> referenced_by;
  bool operator==(const ArtifactRecord&) const = default;
};

// A leader-election lease (a coordination.k8s.io Lease, reduced).
struct LeaseRecord {
  std::string name;
  std::string holder;
  absl::Time acquire_time = absl::UnixEpoch();
  absl::Time renew_time = absl::UnixEpoch();
  absl::Duration duration = absl::ZeroDuration();
  bool operator==(const LeaseRecord&) const = default;
};

}  // namespace nanoplane::controller::ports
