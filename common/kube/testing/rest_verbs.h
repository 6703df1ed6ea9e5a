#pragma once

// The REST verbs with the real server's semantics (the generic registry's
// Store, the CR strategies, NamespaceLifecycle admission), over ObjectStore.
// No HTTP here: a verb takes the parsed request and answers with a code and
// a body, or an absl::Status carrying the metav1.Status (api_errors.h).
//
// Thread-safety: thread-safe; each verb holds the store's lock while it
// reads, checks and writes.

#include <functional>
#include <map>
#include <string>

#include "absl/time/clock.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/json.h"
#include "common/kube/testing/object_store.h"
#include "common/kube/testing/resources.h"

namespace nanoplane::kube::testing {

struct VerbRequest {
  ResourceInfo resource;
  std::string ns;           // "" for cluster-scoped resources (or all namespaces)
  std::string name;         // "" for collection verbs
  std::string subresource;  // "", "status", "scale"
  std::map<std::string, std::string> query;
  std::string content_type;
  std::string body;

  std::string Query(const std::string& key) const {
    auto it = query.find(key);
    return it == query.end() ? "" : it->second;
  }
  bool DryRun() const { return Query("dryRun") == "All"; }
};

struct VerbResponse {
  int code = 200;
  Json body;
};

class RestVerbs {
 public:
  RestVerbs(ObjectStore& store, ResourceRegistry& registry,
            std::function<absl::Time()> now = absl::Now);

  absl::StatusOr<VerbResponse> Get(const VerbRequest& request);
  absl::StatusOr<VerbResponse> List(const VerbRequest& request);
  absl::StatusOr<VerbResponse> Create(const VerbRequest& request);
  absl::StatusOr<VerbResponse> Update(const VerbRequest& request);
  absl::StatusOr<VerbResponse> Patch(const VerbRequest& request);
  absl::StatusOr<VerbResponse> Delete(const VerbRequest& request);
  absl::StatusOr<VerbResponse> DeleteCollection(const VerbRequest& request);

  // The stored (core/v1 for events) form -> the form `resource` serves.
  Json FromStorage(const ResourceInfo& resource, Json object) const;

  ObjectStore& store() { return store_; }
  ResourceRegistry& registry() { return registry_; }

 private:
  using Mutation = std::function<absl::StatusOr<Json>(const Json& current)>;

  Json ToStorage(const ResourceInfo& resource, Json object) const;
  absl::StatusOr<Json> ParseBody(const VerbRequest& request) const;
  ObjectKey KeyOf(const VerbRequest& request) const;
  absl::StatusOr<VerbResponse> CreateLocked(const VerbRequest& request, Json object);
  // PUT, PATCH and the subresources: `mutate` turns the current object (in
  // the served form) into the requested one; `is_patch` allows a missing
  // resourceVersion.
  absl::StatusOr<VerbResponse> Write(const VerbRequest& request, const Mutation& mutate,
                                     bool is_patch);
  absl::StatusOr<Json> Admit(const VerbRequest& request, Json object, const Json* old) const;
  absl::Status CheckNamespaceLocked(const VerbRequest& request, const std::string& name) const;
  absl::StatusOr<VerbResponse> DeleteLocked(const VerbRequest& request, const Json& options);
  Json StoreLocked(const VerbRequest& request, const ObjectKey& key, Json object);
  void RemovedLocked(const VerbRequest& request, const Json& object);

  ObjectStore& store_;
  ResourceRegistry& registry_;
  std::function<absl::Time()> now_;
};

// The scale subresource (autoscaling/v1 Scale) of a custom resource, and the
// custom resource with a Scale's spec.replicas written into it.
Json ScaleOf(const ResourceInfo& resource, const Json& object);
absl::StatusOr<Json> ApplyScale(const ResourceInfo& resource, Json object, const Json& scale);

// A value at a CRD JSON path such as ".spec.replicas", or null.
Json AtPath(const Json& object, const std::string& path);

}  // namespace nanoplane::kube::testing
