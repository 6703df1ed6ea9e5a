// SqliteStore: Watch over the `changes` table.

#include <algorithm>
#include <atomic>

#include "common/status.h"
#include "common/strings.h"
#include "controller/adapters/sqlite_store.h"

namespace nanoplane::controller {

using ports::WatchEvent;

class SqliteStore::SqliteWatcher : public ports::Watcher {
 public:
  SqliteWatcher(SqliteStore& store, int64_t from, std::optional<std::string> ns)
      : store_(store), position_(from), ns_(std::move(ns)) {}

  absl::StatusOr<std::vector<WatchEvent>> Next(absl::Time deadline) override {
    absl::MutexLock lock(&store_.mu_);
    while (true) {
      if (stopped_.load()) {
        return absl::CancelledError("watch stopped");
      }
      NP_ASSIGN_OR_RETURN(std::vector<WatchEvent> events, Poll());
      if (!events.empty()) {
        return events;
      }
      if (batch_full_) {
        continue;  // a full batch of other namespaces' changes: read on
      }
      absl::Time now = absl::Now();
      if (now >= deadline) {
        return events;
      }
      // Another process's writes signal nothing: poll at least this often.
      store_.changed_.WaitWithDeadline(
          &store_.mu_, std::min(deadline, now + store_.options_.watch_poll_interval));
    }
  }

  void Stop() override {
    stopped_.store(true);
    absl::MutexLock lock(&store_.mu_);
    store_.changed_.SignalAll();
  }

  std::string resource_version() const override {
    absl::MutexLock lock(&store_.mu_);
    return StrCat(position_);
  }

 private:
  // The changes after position_, in one read snapshot with the compaction mark.
  absl::StatusOr<std::vector<WatchEvent>> Poll() ABSL_EXCLUSIVE_LOCKS_REQUIRED(store_.mu_) {
    SqliteDb& db = *store_.db_;
    NP_ASSIGN_OR_RETURN(SqliteTransaction transaction,
                        SqliteTransaction::Begin(db, SqliteTransaction::Mode::kRead));
    NP_ASSIGN_OR_RETURN(int64_t compacted, store_.ReadMeta("compacted_version"));
    if (position_ < compacted) {
      return absl::OutOfRangeError(
          StrCat("watch from resourceVersion ", position_, ": too old (gone)"));
    }
    NP_ASSIGN_OR_RETURN(
        SqliteStatement select,
        db.Prepare("SELECT resource_version, type, namespace, object FROM changes "
                   "WHERE resource_version > ? ORDER BY resource_version LIMIT 500"));
    static_assert(kBatch == 500);
    select.BindAll(position_);
    std::vector<WatchEvent> events;
    int rows = 0;
    while (true) {
      NP_ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) {
        break;
      }
      ++rows;
      position_ = select.Int(0);
      if (ns_ && select.Text(2) != *ns_) {
        continue;
      }
      NP_ASSIGN_OR_RETURN(v1alpha1::Unikernel object, DecodeObject(select.Text(3)));
      events.push_back(
          {.type = static_cast<ports::WatchEventType>(select.Int(1)), .object = std::move(object)});
    }
    batch_full_ = rows == kBatch;
    NP_RETURN_IF_ERROR(transaction.Commit());
    return events;
  }

  static constexpr int kBatch = 500;

  SqliteStore& store_;
  bool batch_full_ ABSL_GUARDED_BY(store_.mu_) = false;
  int64_t position_ ABSL_GUARDED_BY(store_.mu_);
  const std::optional<std::string> ns_;
  std::atomic<bool> stopped_{false};
};

absl::StatusOr<std::unique_ptr<ports::Watcher>> SqliteStore::Watch(
    const ports::WatchOptions& options) {
  absl::MutexLock lock(&mu_);
  int64_t from = 0;
  if (options.resource_version.empty()) {
    NP_ASSIGN_OR_RETURN(from, ReadMeta("resource_version"));
  } else {
    NP_ASSIGN_OR_RETURN(from, ParseResourceVersion(options.resource_version));
  }
  NP_ASSIGN_OR_RETURN(int64_t compacted, ReadMeta("compacted_version"));
  if (from < compacted) {
    return absl::OutOfRangeError(StrCat("watch from resourceVersion ", from, ": too old (gone)"));
  }
  return std::make_unique<SqliteWatcher>(*this, from, options.ns);
}

}  // namespace nanoplane::controller
