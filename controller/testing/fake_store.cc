#include "controller/testing/fake_store.h"

#include <algorithm>

#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::controller {

using ports::ObjectKey;
using ports::WatchEvent;
using ports::WatchEventType;
using v1alpha1::Unikernel;

class FakeStore::FakeWatcher : public ports::Watcher {
 public:
  FakeWatcher(FakeStore& store, int64_t from, std::optional<std::string> ns)
      : store_(store), position_(from), ns_(std::move(ns)) {}

  absl::StatusOr<std::vector<WatchEvent>> Next(absl::Time deadline) override {
    absl::MutexLock lock(&store_.mu_);
    NP_RETURN_IF_ERROR(store_.Enter(StoreOp::kWatchNext));
    while (true) {
      if (stopped_.load()) {
        return absl::CancelledError("watch stopped");
      }
      if (position_ < store_.compacted_version_) {
        return absl::OutOfRangeError(
            StrCat("watch from resourceVersion ", position_, ": too old (gone)"));
      }
      std::vector<WatchEvent> events = Collect();
      if (!events.empty()) {
        return events;
      }
      if (store_.changed_.WaitWithDeadline(&store_.mu_, deadline)) {
        return std::vector<WatchEvent>();
      }
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
  std::vector<WatchEvent> Collect() ABSL_EXCLUSIVE_LOCKS_REQUIRED(store_.mu_) {
    std::vector<WatchEvent> events;
    auto it = std::upper_bound(
        store_.history_.begin(), store_.history_.end(), position_,
        [](int64_t version, const Change& change) { return version < change.resource_version; });
    for (; it != store_.history_.end(); ++it) {
      position_ = it->resource_version;
      if (!ns_ || it->event.object.metadata().namespace_() == *ns_) {
        events.push_back(it->event);
      }
    }
    return events;
  }

  FakeStore& store_;
  int64_t position_ ABSL_GUARDED_BY(store_.mu_);
  const std::optional<std::string> ns_;
  std::atomic<bool> stopped_{false};
};

FakeStore::FakeStore(FakeStoreOptions options) : options_(std::move(options)) {}

FakeStore::~FakeStore() = default;

void FakeStore::FailNext(StoreOp op, absl::Status status, int times) {
  absl::MutexLock lock(&mu_);
  for (int i = 0; i < times; ++i) {
    failures_[static_cast<size_t>(op)].push_back(status);
  }
}

void FakeStore::ClearFailures() {
  absl::MutexLock lock(&mu_);
  for (auto& queue : failures_) {
    queue.clear();
  }
}

int FakeStore::Calls(StoreOp op) const {
  absl::MutexLock lock(&mu_);
  return calls_[static_cast<size_t>(op)];
}

void FakeStore::ExpireHistory() {
  absl::MutexLock lock(&mu_);
  history_.clear();
  compacted_version_ = resource_version_;
  changed_.SignalAll();
}

absl::Status FakeStore::Enter(StoreOp op) {
  auto index = static_cast<size_t>(op);
  ++calls_[index];
  if (failures_[index].empty()) {
    return absl::OkStatus();
  }
  absl::Status status = failures_[index].front();
  failures_[index].pop_front();
  return status;
}

Unikernel FakeStore::Commit(const WriteResult& result) {
  Unikernel object = result.object;
  object.mutable_metadata()->set_resource_version(StrCat(++resource_version_));
  ObjectKey key = KeyOf(object);
  WatchEventType type = WatchEventType::kModified;
  if (result.outcome == WriteOutcome::kRemoved) {
    type = WatchEventType::kDeleted;
    objects_.erase(key);
    revisions_.erase(key);  // owner garbage collection
  } else {
    if (result.outcome == WriteOutcome::kAdded) {
      type = WatchEventType::kAdded;
    }
    objects_[key] = object;
  }
  history_.push_back(
      {.resource_version = resource_version_, .event = {.type = type, .object = object}});
  while (history_.size() > options_.watch_history) {
    compacted_version_ = history_.front().resource_version;
    history_.pop_front();
  }
  changed_.SignalAll();
  return object;
}

absl::StatusOr<Unikernel> FakeStore::Create(const Unikernel& object) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(StoreOp::kCreate));
  NP_ASSIGN_OR_RETURN(Unikernel prepared, PrepareCreate(object, NewUid(), options_.now()));
  if (objects_.contains(KeyOf(prepared))) {
    return absl::AlreadyExistsError(
        StrCat("unikernel ", ToString(KeyOf(prepared)), " already exists"));
  }
  return Commit({.outcome = WriteOutcome::kAdded, .object = prepared});
}

absl::StatusOr<Unikernel> FakeStore::Get(const ObjectKey& key) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(StoreOp::kGet));
  auto it = objects_.find(key);
  if (it == objects_.end()) {
    return absl::NotFoundError(StrCat("unikernel ", ToString(key), " not found"));
  }
  return it->second;
}

absl::StatusOr<ports::UnikernelList> FakeStore::List(const ports::ListOptions& options) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(StoreOp::kList));
  ports::UnikernelList list{.resource_version = StrCat(resource_version_)};
  for (const auto& [key, object] : objects_) {
    if (!options.ns || key.ns == *options.ns) {
      list.items.push_back(object);
    }
  }
  return list;
}

absl::StatusOr<Unikernel> FakeStore::Write(
    StoreOp op, const ObjectKey& key,
    const std::function<absl::StatusOr<WriteResult>(const Unikernel&)>& apply) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(op));
  auto it = objects_.find(key);
  if (it == objects_.end()) {
    return absl::NotFoundError(StrCat("unikernel ", ToString(key), " not found"));
  }
  NP_ASSIGN_OR_RETURN(WriteResult result, apply(it->second));
  if (result.outcome == WriteOutcome::kUnchanged) {
    return it->second;
  }
  return Commit(result);
}

absl::StatusOr<Unikernel> FakeStore::Update(const Unikernel& object) {
  return Write(StoreOp::kUpdate, KeyOf(object),
               [&](const Unikernel& stored) { return ApplyUpdate(stored, object); });
}

absl::StatusOr<Unikernel> FakeStore::UpdateStatus(const Unikernel& object) {
  return Write(StoreOp::kUpdateStatus, KeyOf(object),
               [&](const Unikernel& stored) { return ApplyStatusUpdate(stored, object); });
}

absl::StatusOr<Unikernel> FakeStore::Delete(const ObjectKey& key,
                                            const ports::Preconditions& preconditions) {
  absl::Time now = options_.now();
  return Write(StoreOp::kDelete, key,
               [&](const Unikernel& stored) { return ApplyDelete(stored, preconditions, now); });
}

absl::StatusOr<std::unique_ptr<ports::Watcher>> FakeStore::Watch(
    const ports::WatchOptions& options) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(StoreOp::kWatch));
  int64_t from = resource_version_;
  if (!options.resource_version.empty()) {
    NP_ASSIGN_OR_RETURN(from, ParseResourceVersion(options.resource_version));
  }
  if (from < compacted_version_) {
    return absl::OutOfRangeError(StrCat("watch from resourceVersion ", from, ": too old (gone)"));
  }
  return std::make_unique<FakeWatcher>(*this, from, options.ns);
}

}  // namespace nanoplane::controller
