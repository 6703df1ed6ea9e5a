#pragma once

// ObjectCache: the Unikernels as the controller's own list and watch last
// delivered them, which is what an informer's store is to a Kubernetes
// controller. Passes read their object here rather than from the Store: a
// read of the Store costs a query and a parse of the object with its whole
// status (a hundred instances), and is serialized with every other read and
// write of the embedded store; against an API server it is a request.
//
// It may lag the Store by the watch's latency. That is safe because every
// write the controller makes carries the resourceVersion it read: a write from
// a stale copy fails with a conflict and is retried on the fresher one. To
// keep such conflicts rare, the controller's own successful writes go in at
// once (Wrote) rather than waiting for their watch event.
//
// Thread-safe. Objects are shared, immutable: a reader keeps its copy alive
// however the cache changes meanwhile.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/api.h"
#include "controller/ports/store_types.h"

namespace nanoplane::controller::app {

class ObjectCache {
 public:
  using Object = std::shared_ptr<const v1alpha1::Unikernel>;

  // Everything, after a List.
  void Replace(std::vector<v1alpha1::Unikernel> items);
  // One watch event, in the order the watch delivered them.
  void Apply(const ports::WatchEvent& event);
  // An object as one of our writes returned it. Kept only when the cache
  // holds an older version of it: a newer one came by the watch already, and
  // an object the cache does not hold was deleted (or is not listed yet).
  void Wrote(const v1alpha1::Unikernel& object);

  // Replaces the cached object of `version` with a copy without its status,
  // once the reconciler has converted that version (and keeps the status in
  // that form): no write sends the old status back (UpdateStatus replaces it,
  // Update keeps the stored one), and a fleet's statuses held twice would be
  // tens of megabytes.
  void DropStatus(const ports::ObjectKey& key, const std::string& version);
  // The cached object; null when the cache does not hold it.
  Object Get(const ports::ObjectKey& key) const;
  size_t size() const;

  // A copy of `object` without its status.
  static v1alpha1::Unikernel WithoutStatus(const v1alpha1::Unikernel& object);
  // Where an object belongs: its namespace ("default" when unset) and name.
  static ports::ObjectKey KeyOf(const v1alpha1::Unikernel& object);

 private:
  mutable absl::Mutex mu_;
  std::map<ports::ObjectKey, Object> objects_ ABSL_GUARDED_BY(mu_);
};

// Whether resourceVersion `a` is later than `b`. Versions are opaque to
// clients; both the embedded store and the Kubernetes API server write them
// as increasing integers, which is what this compares. A version that is not
// an integer counts as later (the newest write wins).
bool NewerVersion(const std::string& a, const std::string& b);

}  // namespace nanoplane::controller::app
