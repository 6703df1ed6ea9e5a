#pragma once

// The fake's etcd: objects keyed by (storage, namespace, name), one revision
// counter for everything (a write makes revision+1 the object's
// resourceVersion), and a bounded history of changes that watches replay.
//
// Thread-safety: every method but the *Locked ones takes the store's mutex;
// the *Locked ones REQUIRE the caller to hold Lock(), so that a verb's
// read-check-write is atomic, as etcd's GuaranteedUpdate is.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/json.h"

namespace nanoplane::kube::testing {

struct ObjectKey {
  std::string storage;    // ResourceInfo::storage
  std::string ns;         // "" when cluster-scoped
  std::string name;
  // "ns/name" (or "name"): the etcd key below the resource's prefix.
  std::string Path() const { return ns.empty() ? name : ns + "/" + name; }
  // etcd's byte order of keys, which is the order of LIST results.
  bool operator<(const ObjectKey& o) const {
    return storage != o.storage ? storage < o.storage : Path() < o.Path();
  }
  bool operator==(const ObjectKey& o) const = default;
};

struct Change {
  int64_t revision = 0;
  std::string type;  // ADDED, MODIFIED, DELETED
  ObjectKey key;
  Json object;    // after the change (DELETED: the last state, at the deletion's revision)
  Json previous;  // before (null for ADDED)
};

class ObjectStore {
 public:
  explicit ObjectStore(size_t history_limit = 10000) : history_limit_(history_limit) {}

  std::unique_lock<std::mutex> Lock() const { return std::unique_lock<std::mutex>(mu_); }

  int64_t revision() const;
  // Forgets the whole history: a watch or a continue from any earlier
  // revision is then too old (410), as after an etcd compaction.
  void Compact();
  // Blocks until the revision passes `after` or `deadline`; the revision then.
  int64_t WaitForRevision(int64_t after, absl::Time deadline) const;

  // REQUIRES: Lock() held.
  int64_t RevisionLocked() const { return revision_; }
  std::optional<Json> GetLocked(const ObjectKey& key) const;
  // Objects of `storage` (in `ns`, or all when ns is ""), sorted by namespace/name.
  std::vector<Json> ListLocked(const std::string& storage, const std::string& ns) const;
  // The objects as they were at `revision`, rebuilt from the history.
  // OutOfRange when the history no longer reaches back that far.
  [[nodiscard]] absl::StatusOr<std::vector<Json>> ListAtLocked(const std::string& storage,
                                                               const std::string& ns,
                                                               int64_t revision) const;
  // Stores `object` at a new revision (setting metadata.resourceVersion);
  // ADDED or MODIFIED. Returns the stored object.
  Json PutLocked(const ObjectKey& key, Json object);
  // Removes the object at a new revision; returns its last state at that revision.
  Json RemoveLocked(const ObjectKey& key);
  // Changes of `storage` after `revision` (exclusive). OutOfRange with the
  // oldest revision still served (the real cacher's "(Y)") when too old.
  [[nodiscard]] absl::StatusOr<std::vector<Change>> ChangesSinceLocked(
      const std::string& storage, int64_t revision) const;
  // The oldest revision a watch may start from.
  int64_t OldestWatchableLocked() const { return oldest_ - 1; }

 private:
  void RecordLocked(Change change);

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  size_t history_limit_;
  int64_t revision_ = 1;
  int64_t oldest_ = 1;  // revision of the oldest change still in history_
  std::map<ObjectKey, Json> objects_;
  std::deque<Change> history_;
};

// The decimal resourceVersion of an object, 0 when absent or malformed.
int64_t ResourceVersionOf(const Json& object);

}  // namespace nanoplane::kube::testing
