#pragma once

// The Store port: where the controller keeps the desired state (Unikernels with
// their spec, metadata and status subresource), the revision history, events,
// the host registry, the artifact index and the leader lease.
//
// Contract (Kubernetes API semantics, so that a KubeStore over the API server,
// the CRD with its status subresource, ControllerRevisions, Events and a Lease
// implements it without changing callers):
// - A Unikernel is keyed by namespace/name (an empty namespace means
//   "default"). Create sets metadata.uid (new, unique), generation 1,
//   creationTimestamp and resourceVersion; it clears status and
//   deletionTimestamp.
// - resourceVersion is opaque to callers: compare it only for equality and pass
//   it back. Every write of any Unikernel moves it forward store-wide; a List
//   carries the version it was taken at.
// - A write whose Preconditions (or whose object's metadata.resourceVersion /
//   uid) do not match the stored object fails with Aborted "conflict" and
//   changes nothing. Empty preconditions match anything.
// - metadata.generation is bumped only when the spec changes, or once when a
//   Delete marks the object deleting (as Kubernetes does); status writes
//   never bump it. Update never writes status; UpdateStatus never writes spec
//   or metadata. A write that changes nothing is a no-op: same resourceVersion,
//   no watch event.
// - Delete of an object with finalizers sets deletionTimestamp (once) and keeps
//   the object; it disappears when an Update leaves no finalizers. Without
//   finalizers Delete removes it at once. Removing a Unikernel removes its
//   revisions (owner garbage collection).
// - Watch delivers ADDED, MODIFIED and DELETED events after a resourceVersion,
//   in resourceVersion order, each once. History is kept for a bounded number
//   of changes; a watch from before it fails with OutOfRange (HTTP 410 Gone):
//   the caller lists again and watches from the list's resourceVersion.
// - Every write is atomic and durable once it returns OK.
//
// Thread-safety: implementations are thread-safe; a Watcher is used by one
// thread, except Stop, which any thread may call.
//
// Status codes
//   NotFound            no such object (or revision, host, artifact, lease)
//   AlreadyExists       Create of a key that exists; CreateRevision of a hash or
//                       number the Unikernel already has
//   Aborted             conflict: stale resourceVersion, other uid, lease held
//   InvalidArgument     a malformed object (no name, resourceVersion on create)
//   OutOfRange          watch from a resourceVersion older than the history
//   Cancelled           a stopped Watcher
//   Unavailable         the backing store cannot be reached or is busy; retry
//   Internal            the backing store failed or holds corrupt data

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/api.h"
#include "controller/ports/store_types.h"

namespace nanoplane::controller::ports {

// A stream of Unikernel changes. Level-triggered callers may coalesce events.
class Watcher {
 public:
  virtual ~Watcher() = default;

  // The next events, at least one, waiting until `deadline`; an empty vector
  // when the deadline passes first. OutOfRange when the watcher fell behind the
  // retained history (relist); Cancelled after Stop; Unavailable when the
  // connection broke (watch again from resource_version()).
  [[nodiscard]] virtual absl::StatusOr<std::vector<WatchEvent>> Next(absl::Time deadline) = 0;

  // Wakes a blocked Next and makes every later one return Cancelled.
  virtual void Stop() = 0;

  // The resourceVersion of the last event delivered (or the start version).
  virtual std::string resource_version() const = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // --- Unikernels -----------------------------------------------------------

  // Stores a new object; returns it as stored. AlreadyExists; InvalidArgument
  // when the name is empty or metadata.resourceVersion is set.
  [[nodiscard]] virtual absl::StatusOr<v1alpha1::Unikernel> Create(
      const v1alpha1::Unikernel& object) = 0;

  // NotFound.
  [[nodiscard]] virtual absl::StatusOr<v1alpha1::Unikernel> Get(const ObjectKey& key) = 0;

  [[nodiscard]] virtual absl::StatusOr<UnikernelList> List(const ListOptions& options) = 0;

  // Writes spec, labels, annotations and finalizers of `object` (keyed by its
  // metadata); everything else is kept. metadata.resourceVersion and uid, when
  // set, are preconditions (Aborted). Returns the object as stored; when the
  // update removed the last finalizer of a deleting object, the object is gone
  // and this is its last state. NotFound.
  [[nodiscard]] virtual absl::StatusOr<v1alpha1::Unikernel> Update(
      const v1alpha1::Unikernel& object) = 0;

  // Writes only `object.status` (the status subresource), with the same
  // preconditions as Update. NotFound; Aborted.
  [[nodiscard]] virtual absl::StatusOr<v1alpha1::Unikernel> UpdateStatus(
      const v1alpha1::Unikernel& object) = 0;

  // Deletes, or marks deleting when finalizers remain (see the contract).
  // Returns the object's state after the call. NotFound; Aborted.
  [[nodiscard]] virtual absl::StatusOr<v1alpha1::Unikernel> Delete(
      const ObjectKey& key, const Preconditions& preconditions) = 0;

  // Changes after options.resource_version. OutOfRange (here or from Next)
  // when that version is older than the retained history; InvalidArgument
  // when it is not a version this store made.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<Watcher>> Watch(
      const WatchOptions& options) = 0;

  // --- Revisions (ControllerRevision) ---------------------------------------

  // Sorted by number. An unknown Unikernel has none.
  [[nodiscard]] virtual absl::StatusOr<std::vector<RevisionRecord>> ListRevisions(
      const ObjectKey& unikernel) = 0;
  // AlreadyExists when the Unikernel has this hash or number already.
  [[nodiscard]] virtual absl::Status CreateRevision(const RevisionRecord& revision) = 0;
  // Replaces the entry with the same hash (new number on undo, new progress
  // time). NotFound; AlreadyExists when another entry has the number.
  [[nodiscard]] virtual absl::Status UpdateRevision(const RevisionRecord& revision) = 0;
  // NotFound.
  [[nodiscard]] virtual absl::Status DeleteRevision(const ObjectKey& unikernel,
                                                    const std::string& hash) = 0;

  // --- Events ---------------------------------------------------------------

  // Records one occurrence at `event.last_time`: a new record (count 1), or
  // the existing one with the same object, type, reason and message counted
  // up. The store may drop old events (Kubernetes keeps them an hour).
  [[nodiscard]] virtual absl::Status RecordEvent(const EventRecord& event) = 0;
  // Sorted by last_time, oldest first.
  [[nodiscard]] virtual absl::StatusOr<std::vector<EventRecord>> ListEvents(
      const EventFilter& filter) = 0;

  // --- Hosts ----------------------------------------------------------------

  // Creates or replaces the host's record.
  [[nodiscard]] virtual absl::Status PutHost(const HostRecord& host) = 0;
  // NotFound.
  [[nodiscard]] virtual absl::StatusOr<HostRecord> GetHost(const std::string& name) = 0;
  // Sorted by name.
  [[nodiscard]] virtual absl::StatusOr<std::vector<HostRecord>> ListHosts() = 0;
  // NotFound.
  [[nodiscard]] virtual absl::Status DeleteHost(const std::string& name) = 0;

  // --- Artifact index -------------------------------------------------------

  // Indexes a stored blob; its references are kept if it is indexed already
  // (then the size must agree: InvalidArgument otherwise).
  [[nodiscard]] virtual absl::Status PutArtifact(const ArtifactRecord& artifact) = 0;
  // NotFound.
  [[nodiscard]] virtual absl::StatusOr<ArtifactRecord> GetArtifact(const std::string& digest) = 0;
  // Sorted by digest.
  [[nodiscard]] virtual absl::StatusOr<std::vector<ArtifactRecord>> ListArtifacts() = 0;
  // Makes `digests` exactly the set `referrer` references (empty: none), in
  // one write. Digests not indexed (yet) are remembered too.
  [[nodiscard]] virtual absl::Status SetArtifactReferences(
      const std::string& referrer, const std::set<std::string>& digests) = 0;
  // Drops the index entry (its references stay with their referrers). NotFound.
  [[nodiscard]] virtual absl::Status DeleteArtifact(const std::string& digest) = 0;

  // --- Leader election (Lease) ----------------------------------------------

  // Acquires the lease for `holder`, or renews it when `holder` holds it.
  // Aborted while another holder's lease has not expired (renew_time +
  // duration > now).
  [[nodiscard]] virtual absl::StatusOr<LeaseRecord> AcquireLease(const std::string& name,
                                                                 const std::string& holder,
                                                                 absl::Duration duration) = 0;
  // Gives the lease up so another holder need not wait for it to expire.
  // NotFound when `holder` does not hold it.
  [[nodiscard]] virtual absl::Status ReleaseLease(const std::string& name,
                                                  const std::string& holder) = 0;
};

}  // namespace nanoplane::controller::ports
