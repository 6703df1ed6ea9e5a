#pragma once

// SqliteStore: the Store port in one SQLite file (`<data_dir>/store.db`), the
// embedded default of `nanoplane up`.
//
// - Objects are the codec's JSON beside indexed columns; every write is one
//   IMMEDIATE transaction, so it is atomic, and with WAL plus synchronous=FULL
//   it is on disk when the call returns: kill -9, a kernel panic or a power cut
//   afterwards loses nothing. FULL rather than NORMAL because NORMAL in WAL mode
//   may drop the last commits on power loss, and an acknowledged apply must
//   stay applied; the price is one fsync of the WAL per write, which the
//   controller's write rate (status writes per Unikernel, not per instance)
//   affords. Set synchronous_full = false for benchmarks.
// - Watch history is the `changes` table: one row per Unikernel write, the
//   oldest deleted beyond `watch_history` rows. A watcher polls it; in-process
//   writes wake it at once, writes by another process within the poll interval.
// - Several processes may open the same file (the busy timeout serializes
//   their writers); resourceVersions stay store-wide and monotonic.
//
// Thread-safe: one connection behind a mutex. Watchers must not outlive the
// store.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "controller/adapters/sqlite_db.h"
#include "controller/adapters/store_rules.h"
#include "controller/ports/store.h"

namespace nanoplane::controller {

struct SqliteStoreOptions {
  std::string data_dir;           // created if missing
  int64_t watch_history = 10000;  // Unikernel changes kept for watches
  int64_t max_events = 10000;     // the least recently seen events go first beyond this
  bool synchronous_full = true;
  absl::Duration busy_timeout = absl::Seconds(5);
  absl::Duration watch_poll_interval = absl::Milliseconds(200);
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

class SqliteStore : public ports::Store {
 public:
  // Opens or creates the store and migrates its schema. Internal when the file
  // cannot be opened; FailedPrecondition when a newer binary wrote it.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(
      SqliteStoreOptions options);
  ~SqliteStore() override;

  // The database file.
  std::string path() const;

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
  class SqliteWatcher;
  using Apply = std::function<absl::StatusOr<WriteResult>(const v1alpha1::Unikernel&)>;

  SqliteStore(SqliteStoreOptions options, std::unique_ptr<SqliteDb> db);

  absl::StatusOr<v1alpha1::Unikernel> ReadObject(const ports::ObjectKey& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<int64_t> ReadMeta(const char* key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stores a write's outcome under the next resourceVersion, with its change
  // row, inside the caller's transaction.
  absl::StatusOr<v1alpha1::Unikernel> CommitWrite(const WriteResult& result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status TrimHistory(int64_t resource_version) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<v1alpha1::Unikernel> Write(const ports::ObjectKey& key, const Apply& apply);
  // Runs `body` in a write transaction and commits it when `body` succeeds.
  absl::Status InWriteTransaction(const std::function<absl::Status()>& body)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::set<std::string>> ReferrersOf(const std::string& digest)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SqliteStoreOptions options_;
  mutable absl::Mutex mu_;
  // Signalled after every committed Unikernel write, to wake watchers.
  absl::CondVar changed_;
  std::unique_ptr<SqliteDb> db_ ABSL_GUARDED_BY(mu_);
  // Objects recently read or written, with their resourceVersion, so that a
  // write after a write of the same object does not decode it again. Bounded
  // (kDecodedCapacity): a whole fleet's objects with their statuses would be
  // tens of megabytes, and the controller keeps its own copies.
  void RememberDecoded(const ports::ObjectKey& key, int64_t version,
                       const v1alpha1::Unikernel& object) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::map<ports::ObjectKey, std::pair<int64_t, v1alpha1::Unikernel>> decoded_ ABSL_GUARDED_BY(mu_);
};

}  // namespace nanoplane::controller
