#pragma once

// RevisionCache: each Unikernel's revisions as this controller last listed or
// wrote them. The controller is their only writer (the API's use cases and
// kubectl only read them; `rollout undo` writes the Unikernel's template), so
// one List per Unikernel serves every later pass, as the Deployment
// controller reads its ReplicaSets from an informer. Over the Kubernetes API a
// List per pass was most of the controller's requests, at rest as well (every
// agent report triggers passes).
//
// Writes go through the cache: a write that succeeds updates the entry, one
// that fails forgets it, so the next pass lists again. Entries of different
// Unikernels are independent; one Unikernel is reconciled by one worker at a
// time (the work queue), so no two writes to one entry race.
//
// Thread-safe. The store must outlive the cache.

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "controller/ports/store.h"

namespace nanoplane::controller::app {

class RevisionCache {
 public:
  explicit RevisionCache(ports::Store& store) : store_(store) {}

  // Sorted by number, as Store::ListRevisions; listed once, then from memory.
  [[nodiscard]] absl::StatusOr<std::vector<ports::RevisionRecord>> List(
      const ports::ObjectKey& key);
  // The Store's calls, with its status codes.
  [[nodiscard]] absl::Status Create(const ports::RevisionRecord& revision);
  [[nodiscard]] absl::Status Update(const ports::RevisionRecord& revision);
  [[nodiscard]] absl::Status Delete(const ports::ObjectKey& key, const std::string& hash);
  // Drops the entry (the Unikernel is gone, or its revisions may have changed
  // behind the cache).
  void Forget(const ports::ObjectKey& key);
  size_t size() const;

 private:
  // Applies `change` to the cached entry of `key`, if there is one.
  void Edit(const ports::ObjectKey& key,
            const std::function<void(std::vector<ports::RevisionRecord>&)>& change);

  ports::Store& store_;
  mutable absl::Mutex mu_;
  std::map<ports::ObjectKey, std::vector<ports::RevisionRecord>> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace nanoplane::controller::app
