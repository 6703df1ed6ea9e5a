#pragma once

// FakeStore: the Store port in memory, with the same semantics as SqliteStore
// (the typed contract suite runs against both), plus failure injection like
// leveldb's SpecialEnv: FailNext(StoreOp::kUpdateStatus, UnavailableError(..))
// makes the next UpdateStatus fail with that status and change nothing.
//
// Thread-safe. Watchers must not outlive the store.

#include <array>
#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "controller/adapters/store_rules.h"
#include "controller/ports/store.h"

namespace nanoplane::controller {

enum class StoreOp {
  kCreate,
  kGet,
  kList,
  kUpdate,
  kUpdateStatus,
  kDelete,
  kWatch,
  kWatchNext,
  kListRevisions,
  kCreateRevision,
  kUpdateRevision,
  kDeleteRevision,
  kRecordEvent,
  kListEvents,
  kPutHost,
  kGetHost,
  kListHosts,
  kDeleteHost,
  kPutArtifact,
  kGetArtifact,
  kListArtifacts,
  kSetArtifactReferences,
  kDeleteArtifact,
  kAcquireLease,
  kReleaseLease,
  kCount,  // not an operation
};

struct FakeStoreOptions {
  size_t watch_history = 1000;  // changes kept for watches
  size_t max_events = 1000;     // the oldest events go first beyond this
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

class FakeStore : public ports::Store {
 public:
  explicit FakeStore(FakeStoreOptions options = {});
  ~FakeStore() override;

  // The next `times` calls of `op` return `status` and change nothing.
  void FailNext(StoreOp op, absl::Status status, int times = 1);
  void ClearFailures();
  // How often `op` was called (failed calls included).
  int Calls(StoreOp op) const;
  // Drops all watch history, as a compaction would: every watch from a version
  // before now gets OutOfRange.
  void ExpireHistory();

  // ports::Store
  absl::StatusOr<v1alpha1::Unikernel> Create(const v1alpha1::Unikernel& object) override;
  absl::StatusOr<v1alpha1::Unikernel> Get(const ports::ObjectKey& key) override;
  absl::StatusOr<ports::UnikernelList> List(const ports::ListOptions& options) override;
  absl::StatusOr<v1alpha1::Unikernel> Update(const v1alpha1::Unikernel& object) override;
  absl::StatusOr<v1alpha1::Unikernel> UpdateStatus(const v1alpha1::Unikernel& object) override;
  absl::StatusOr<v1alpha1::Unikernel> Delete(const ports::ObjectKey& key,
                                             const ports::Preconditions& preconditions) override;
  absl::StatusOr<std::unique_ptr<ports::Watcher>> Watch(
      const ports::WatchOptions& options) override;
  absl::StatusOr<std::vector<ports::RevisionRecord>> ListRevisions(
      const ports::ObjectKey& unikernel) override;
  absl::Status CreateRevision(const ports::RevisionRecord& revision) override;
  absl::Status UpdateRevision(const ports::RevisionRecord& revision) override;
  absl::Status DeleteRevision(const ports::ObjectKey& unikernel, const std::string& hash) override;
  absl::Status RecordEvent(const ports::EventRecord& event) override;
  absl::StatusOr<std::vector<ports::EventRecord>> ListEvents(
      const ports::EventFilter& filter) override;
  absl::Status PutHost(const ports::HostRecord& host) override;
  absl::StatusOr<ports::HostRecord> GetHost(const std::string& name) override;
  absl::StatusOr<std::vector<ports::HostRecord>> ListHosts() override;
  absl::Status DeleteHost(const std::string& name) override;
  absl::Status PutArtifact(const ports::ArtifactRecord& artifact) override;
  absl::StatusOr<ports::ArtifactRecord> GetArtifact(const std::string& digest) override;
  absl::StatusOr<std::vector<ports::ArtifactRecord>> ListArtifacts() override;
  absl::Status SetArtifactReferences(const std::string& referrer,
                                     const std::set<std::string>& digests) override;
  absl::Status DeleteArtifact(const std::string& digest) override;
  absl::StatusOr<ports::LeaseRecord> AcquireLease(const std::string& name,
                                                  const std::string& holder,
                                                  absl::Duration duration) override;
  absl::Status ReleaseLease(const std::string& name, const std::string& holder) override;

 private:
  class FakeWatcher;
  struct Change {
    int64_t resource_version = 0;
    ports::WatchEvent event;
  };

  // Counts the call and pops an injected failure, if any.
  absl::Status Enter(StoreOp op) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stores the outcome of a write under a new resourceVersion.
  v1alpha1::Unikernel Commit(const WriteResult& result) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<v1alpha1::Unikernel> Write(
      StoreOp op, const ports::ObjectKey& key,
      const std::function<absl::StatusOr<WriteResult>(const v1alpha1::Unikernel&)>& apply);
  ports::ArtifactRecord WithReferences(ports::ArtifactRecord record) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const FakeStoreOptions options_;
  mutable absl::Mutex mu_;
  absl::CondVar changed_;
  int64_t resource_version_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t compacted_version_ ABSL_GUARDED_BY(mu_) = 0;  // history holds only later changes
  std::map<ports::ObjectKey, v1alpha1::Unikernel> objects_ ABSL_GUARDED_BY(mu_);
  std::deque<Change> history_ ABSL_GUARDED_BY(mu_);
  std::map<ports::ObjectKey, std::map<std::string, ports::RevisionRecord>> revisions_
      ABSL_GUARDED_BY(mu_);
  std::vector<ports::EventRecord> events_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, ports::HostRecord> hosts_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, ports::ArtifactRecord> artifacts_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::set<std::string>> references_ ABSL_GUARDED_BY(mu_);  // by referrer
  std::map<std::string, ports::LeaseRecord> leases_ ABSL_GUARDED_BY(mu_);
  std::array<std::deque<absl::Status>, static_cast<size_t>(StoreOp::kCount)> failures_
      ABSL_GUARDED_BY(mu_);
  std::array<int, static_cast<size_t>(StoreOp::kCount)> calls_ ABSL_GUARDED_BY(mu_) = {};
};

}  // namespace nanoplane::controller
