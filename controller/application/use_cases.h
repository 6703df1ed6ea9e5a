#pragma once

// The controller's use cases: what a user can do to Unikernels (apply, get,
// list, watch, delete, scale, the rollout verbs, events) and to the artifact
// store, over the Store and ArtifactStore ports. Every front end calls these:
// the gRPC ControllerService converts requests and statuses around them, the
// manifests syncer applies and deletes through them, and the kubectl plugin
// runs them over a KubeStore in the CLI's process. None of them calls
// another's handlers.
//
// - Apply validates every object (and checks that every artifact it names is
//   stored) before it writes any: nothing is half-applied. Writes use the
//   stored resourceVersion and are retried on a conflict (Aborted) up to
//   `max_conflict_retries` times.
// - The verbs that change one field (scale, pause, resume, restart, undo) are
//   read-modify-write with the same retries.
// - Streaming use cases (WatchUnikernels, RolloutStatus) call `sink` for each
//   update until it returns false, the rollout ends, or `cancelled` returns
//   true; they look at `cancelled` at least every `poll_interval`.
//
// Thread-safe; the ports must be too, and must outlive this object.
//
// Status codes: what the Store returns (NotFound, Aborted after the retries,
// Unavailable, ...); InvalidArgument for an object or request that is not
// valid (the message names the object and the field); FailedPrecondition for
// a verb that cannot apply in the object's state (restart while paused, undo
// without another revision, apply while deleting); Cancelled when a stream's
// client went away.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/api.h"
#include "controller/application/rollout.h"
#include "controller/ports/artifact_store.h"
#include "controller/ports/store.h"

namespace nanoplane::controller::application {

struct UseCaseOptions {
  int max_conflict_retries = 5;
  absl::Duration poll_interval = absl::Milliseconds(200);
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

// A blob sent along with the objects that name it (GitOps, small programs).
struct InlineArtifact {
  std::string sha256;
  std::string data;
};

struct ApplyRequest {
  // As the client sent them, before defaults: what a document leaves out
  // (spec.replicas, spec.paused) keeps what is stored.
  std::vector<v1alpha1::Unikernel> objects;
  std::vector<InlineArtifact> artifacts;  // stored before anything is checked
  bool dry_run = false;
};

enum class ApplyAction { kCreated, kConfigured, kUnchanged };

struct ApplyResult {
  ports::ObjectKey key;
  ApplyAction action = ApplyAction::kUnchanged;
  int64_t generation = 0;
  v1alpha1::Unikernel object;  // as stored (or as it would be, for a dry run)
};

struct ListQuery {
  std::optional<std::string> ns;  // nullopt: every namespace
  std::string label_selector;     // kubectl -l syntax; empty: everything
};

struct DeleteResult {
  v1alpha1::Unikernel object;  // its state after the call
  bool gone = false;           // false while a finalizer keeps it
};

// One change of a watched Unikernel.
struct UnikernelChange {
  ports::WatchEventType type = ports::WatchEventType::kAdded;
  v1alpha1::Unikernel object;
};

struct WatchQuery {
  std::optional<std::string> ns;  // nullopt: every namespace
  std::string name;               // empty: every object
  // Empty: the current objects first (as ADDED), then their changes.
  std::string resource_version;
};

// What `rollout status` shows after each change.
struct RolloutUpdate {
  RolloutState state;
  v1alpha1::Unikernel object;
};

struct RolloutStatusQuery {
  ports::ObjectKey key;
  int64_t revision = 0;  // > 0: that revision must be the one rolling out
  bool watch = false;    // false: the current state only
};

struct HistoryEntry {
  int64_t number = 0;
  std::string hash;
  absl::Time created = absl::UnixEpoch();
  std::string change_cause;
  bool current = false;
  // Set only when one revision was asked for.
  std::optional<v1alpha1::UnikernelTemplate> template_;
};

// A rollout verb's outcome: kubectl's one-line message and the object written.
struct RolloutResult {
  std::string message;
  v1alpha1::Unikernel object;
};

// Reads one message of an upload; false when the upload has no more.
using ChunkReader = std::function<bool(std::string& chunk)>;

class UseCases {
 public:
  UseCases(ports::Store& store, ports::ArtifactStore& artifacts, UseCaseOptions options = {});

  // --- Unikernels -----------------------------------------------------------

  [[nodiscard]] absl::StatusOr<std::vector<ApplyResult>> Apply(const ApplyRequest& request);
  [[nodiscard]] absl::StatusOr<v1alpha1::Unikernel> Get(const ports::ObjectKey& key);
  // Items sorted by namespace, then name; the list's resourceVersion.
  [[nodiscard]] absl::StatusOr<ports::UnikernelList> List(const ListQuery& query);
  // `resource_version` (may be empty) is the deletion's precondition.
  [[nodiscard]] absl::StatusOr<DeleteResult> Delete(const ports::ObjectKey& key,
                                                    const std::string& resource_version);
  // InvalidArgument for a replica count the schema refuses.
  [[nodiscard]] absl::StatusOr<v1alpha1::Unikernel> Scale(const ports::ObjectKey& key,
                                                          int32_t replicas);
  [[nodiscard]] absl::Status WatchUnikernels(
      const WatchQuery& query, const std::function<bool(const UnikernelChange&)>& sink,
      const std::function<bool()>& cancelled);

  // --- Rollouts -------------------------------------------------------------

  // Until the rollout is done or failed (or at once unless `watch`); each
  // distinct state once. NotFound when the object is deleted meanwhile.
  [[nodiscard]] absl::Status RolloutStatus(const RolloutStatusQuery& query,
                                           const std::function<bool(const RolloutUpdate&)>& sink,
                                           const std::function<bool()>& cancelled);
  // `revision` > 0: that one only, with its template (NotFound when unknown).
  [[nodiscard]] absl::StatusOr<std::vector<HistoryEntry>> RolloutHistory(
      const ports::ObjectKey& key, int64_t revision);
  // `to_revision` 0: the previous one.
  [[nodiscard]] absl::StatusOr<RolloutResult> RolloutUndo(const ports::ObjectKey& key,
                                                          int64_t to_revision);
  [[nodiscard]] absl::StatusOr<RolloutResult> RolloutPause(const ports::ObjectKey& key);
  [[nodiscard]] absl::StatusOr<RolloutResult> RolloutResume(const ports::ObjectKey& key);
  // FailedPrecondition while paused, as kubectl.
  [[nodiscard]] absl::StatusOr<RolloutResult> RolloutRestart(const ports::ObjectKey& key);

  // --- Events and artifacts -------------------------------------------------

  [[nodiscard]] absl::StatusOr<std::vector<ports::EventRecord>> Events(
      const ports::EventFilter& filter);
  // The blob's size, or nullopt when the store does not have it.
  [[nodiscard]] absl::StatusOr<std::optional<int64_t>> StatArtifact(const std::string& sha256);
  // Stores and indexes an uploaded blob; InvalidArgument when its content does
  // not hash to `sha256`. Returns its size.
  [[nodiscard]] absl::StatusOr<int64_t> UploadArtifact(const std::string& sha256,
                                                       const ChunkReader& next_chunk);

 private:
  using Mutation = std::function<absl::Status(v1alpha1::Unikernel&)>;

  // Get, `mutate`, Update with the read resourceVersion; again on a conflict.
  absl::StatusOr<v1alpha1::Unikernel> Modify(const ports::ObjectKey& key, const Mutation& mutate);
  absl::Status CheckApply(const ApplyRequest& request, std::vector<v1alpha1::Unikernel>& prepared);
  // `sent` is the client's object, `prepared` the same defaulted.
  absl::StatusOr<ApplyResult> ApplyOne(const v1alpha1::Unikernel& prepared,
                                       const v1alpha1::Unikernel& sent, bool dry_run);
  absl::Status ReferenceArtifacts(const v1alpha1::Unikernel& object);
  absl::Status StoreBlob(const std::string& digest, std::string_view data);

  ports::Store& store_;
  ports::ArtifactStore& artifacts_;
  const UseCaseOptions options_;
};

// "created", "configured", "unchanged", as kubectl apply prints them.
const char* ApplyActionName(ApplyAction action);

}  // namespace nanoplane::controller::application
