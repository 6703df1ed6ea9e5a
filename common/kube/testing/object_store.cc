#include "common/strings.h"
#include "common/kube/testing/object_store.h"

#include <algorithm>
#include <chrono>

#include "absl/time/clock.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace nanoplane::kube::testing {

int64_t ResourceVersionOf(const Json& object) {
  int64_t rv = 0;
  if (object.is_object() && object.contains("metadata") &&
      object["metadata"].contains("resourceVersion") &&
      object["metadata"]["resourceVersion"].is_string() &&
      absl::SimpleAtoi(object["metadata"]["resourceVersion"].get<std::string>(), &rv)) {
    return rv;
  }
  return 0;
}

int64_t ObjectStore::revision() const {
  std::lock_guard<std::mutex> lock(mu_);
  return revision_;
}

void ObjectStore::Compact() {
  std::lock_guard<std::mutex> lock(mu_);
  history_.clear();
  oldest_ = revision_ + 1;
}

int64_t ObjectStore::WaitForRevision(int64_t after, absl::Time deadline) const {
  std::unique_lock<std::mutex> lock(mu_);
  auto until = std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline - absl::Now());
  changed_.wait_until(lock, until, [&] { return revision_ > after; });
  return revision_;
}

std::optional<Json> ObjectStore::GetLocked(const ObjectKey& key) const {
  auto it = objects_.find(key);
  if (it == objects_.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::vector<Json> ObjectStore::ListLocked(const std::string& storage, const std::string& ns) const {
  std::vector<Json> out;
  for (auto it = objects_.lower_bound(ObjectKey{storage, "", ""});
       it != objects_.end() && it->first.storage == storage; ++it) {
    if (ns.empty() || it->first.ns == ns) {
      out.push_back(it->second);
    }
  }
  return out;
}

absl::StatusOr<std::vector<Json>> ObjectStore::ListAtLocked(const std::string& storage,
                                                            const std::string& ns,
                                                            int64_t revision) const {
  if (revision < oldest_ - 1) {
    return absl::OutOfRangeError(StrCat(oldest_ - 1));
  }
  std::map<ObjectKey, Json> state;
  for (auto it = objects_.lower_bound(ObjectKey{storage, "", ""});
       it != objects_.end() && it->first.storage == storage; ++it) {
    state[it->first] = it->second;
  }
  // Undo the changes made after `revision`, newest first.
  for (auto it = history_.rbegin(); it != history_.rend() && it->revision > revision; ++it) {
    if (it->key.storage != storage) {
      continue;
    }
    if (it->type == "ADDED") {
      state.erase(it->key);
    } else {
      state[it->key] = it->previous;
    }
  }
  std::vector<Json> out;
  for (auto& [key, object] : state) {
    if (ns.empty() || key.ns == ns) {
      out.push_back(std::move(object));
    }
  }
  return out;
}

Json ObjectStore::PutLocked(const ObjectKey& key, Json object) {
  ++revision_;
  object["metadata"]["resourceVersion"] = StrCat(revision_);
  auto it = objects_.find(key);
  Change change{.revision = revision_, .type = "ADDED", .key = key, .object = object};
  if (it != objects_.end()) {
    change.type = "MODIFIED";
    change.previous = it->second;
  }
  objects_[key] = object;
  RecordLocked(std::move(change));
  return object;
}

Json ObjectStore::RemoveLocked(const ObjectKey& key) {
  auto it = objects_.find(key);
  if (it == objects_.end()) {
    return nullptr;
  }
  ++revision_;
  Json last = it->second;
  Json previous = it->second;
  // etcd3's watcher hands out the deleted object at the deletion's revision.
  last["metadata"]["resourceVersion"] = StrCat(revision_);
  objects_.erase(it);
  RecordLocked({.revision = revision_, .type = "DELETED", .key = key, .object = last,
                .previous = std::move(previous)});
  return last;
}

void ObjectStore::RecordLocked(Change change) {
  history_.push_back(std::move(change));
  while (history_.size() > history_limit_) {
    history_.pop_front();
    oldest_ = history_.empty() ? revision_ + 1 : history_.front().revision;
  }
  changed_.notify_all();
}

absl::StatusOr<std::vector<Change>> ObjectStore::ChangesSinceLocked(const std::string& storage,
                                                                    int64_t revision) const {
  if (revision < oldest_ - 1) {
    return absl::OutOfRangeError(StrCat(oldest_ - 1));
  }
  std::vector<Change> out;
  auto first = std::upper_bound(history_.begin(), history_.end(), revision,
                                [](int64_t rv, const Change& c) { return rv < c.revision; });
  for (auto it = first; it != history_.end(); ++it) {
    if (it->key.storage == storage) {
      out.push_back(*it);
    }
  }
  return out;
}

}  // namespace nanoplane::kube::testing
