#pragma once

// ManifestSyncer: keeps the store in sync with a manifests directory (GitOps,
// `--manifests DIR`). Each round reads the directory, lists the store, decides
// with PlanSync (sync_plan.h has the rules) and applies and deletes through the
// use cases, the same server-side apply and delete as the CLI's. A
// round runs at start, after a change under the directory (inotify, bursts
// coalesced) and every `resync_interval`, which also covers what inotify
// cannot see (a directory replaced under the watch, a failed apply to retry).
//
// A deletion waits for a second read, `debounce` later, to agree: a file
// missing for a moment (an editor that moves the old file away before writing
// the new one, a checkout under way) must not stop what it runs.
//
// Sources given by local path (`source: {path: ./webserver}`, relative to
// the manifest's file) are uploaded to the artifact store, as `nanoplane
// apply` does; a changed file is a changed digest, so a rollout.
//
// Problems (invalid files, conflicts, failed applies) are logged and recorded
// as Warning events, each once while it lasts: on the Unikernel when the
// problem names one, else on a "ManifestFile" object named by the file.
//
// Thread-safe; the store and the use cases must outlive it.

#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "controller/application/use_cases.h"
#include "controller/manifests/directory_watcher.h"
#include "controller/manifests/sync_plan.h"
#include "controller/ports/store.h"

namespace nanoplane::controller::manifests {

struct ManifestSyncerOptions {
  std::string dir;
  absl::Duration resync_interval = absl::Seconds(30);
  absl::Duration debounce = absl::Milliseconds(200);
  // The next round's delay after a round that waited (SyncRound::waiting):
  // a Unikernel defined again is created soon after its old self is gone.
  absl::Duration waiting_retry = absl::Seconds(1);
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

// What one round did.
struct SyncRound {
  int changed = 0;    // created or configured
  int unchanged = 0;  // applied, nothing to write
  int deleted = 0;
  int problems = 0;
  // Defined, but the stored one is still being deleted; or a deletion that
  // lost a race with another write. The next round comes soon.
  int waiting = 0;
};

class ManifestSyncer {
 public:
  // Starts watching and the loop (its first round runs at once).
  // InvalidArgument when `options.dir` is not a directory; Internal when
  // inotify cannot be set up.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ManifestSyncer>> Start(
      ManifestSyncerOptions options, ports::Store& store, application::UseCases& use_cases);
  ~ManifestSyncer();  // stops the loop

  // One round now; rounds never overlap.
  SyncRound SyncOnce();

 private:
  struct Problem {
    std::string message;
    ports::ObjectReference object;
    std::string reason;
  };

  ManifestSyncer(ManifestSyncerOptions options, ports::Store& store,
                 application::UseCases& use_cases, std::unique_ptr<DirectoryWatcher> watcher);
  void Run();
  // Reads the directory and the store, and decides. `local_files`, when
  // given, receives the directory's files named by `source.path`.
  absl::StatusOr<SyncPlan> Plan(std::map<std::string, std::string>* local_files = nullptr);
  // The removals that a second Plan, `debounce` later, agrees with, as read
  // by the second.
  std::vector<Deletion> Confirm(const std::vector<Deletion>& removals);
  void Apply(const v1alpha1::Unikernel& object,
             const std::map<std::string, std::string>& local_files, SyncRound& round,
             std::vector<Problem>& problems);
  // Adds to `request` the blobs of `object` that are local files the artifact
  // store lacks.
  absl::Status AttachLocalFiles(const v1alpha1::Unikernel& object,
                                const std::map<std::string, std::string>& local_files,
                                application::ApplyRequest& request);
  void Remove(const Deletion& deletion, SyncRound& round, std::vector<Problem>& problems);
  void Report(const std::vector<Problem>& problems) ABSL_EXCLUSIVE_LOCKS_REQUIRED(round_mu_);

  const ManifestSyncerOptions options_;
  ports::Store& store_;
  application::UseCases& use_cases_;
  std::unique_ptr<DirectoryWatcher> watcher_;
  absl::Mutex round_mu_;
  std::set<std::string> reported_ ABSL_GUARDED_BY(round_mu_);  // last round's problems
  std::thread loop_;
};

}  // namespace nanoplane::controller::manifests
