#pragma once

// The resources the fake serves: a fixed set of built-ins and whatever the
// CustomResourceDefinitions declare. Thread-safe.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/json.h"
#include "common/kube/testing/api_errors.h"

namespace nanoplane::kube::testing {

struct ScalePaths {
  std::string spec_replicas;    // ".spec.replicas"
  std::string status_replicas;  // ".status.replicas"
  std::string label_selector;   // ".status.selector", may be empty
};

struct ResourceInfo {
  std::string group;  // "" for the core group
  std::string version;
  std::string resource;  // plural
  std::string singular;
  std::string kind;
  std::string list_kind;
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  std::vector<std::string> verbs;  // for discovery
  // Objects of several served forms share one storage (events; a CRD's versions).
  std::string storage;
  bool custom = false;               // a CRD's resource
  bool status_subresource = false;   // CRs: /status, and spec-only main writes
  std::optional<ScalePaths> scale;   // CRs: /scale
  bool unconditional_update = true;  // PUT without resourceVersion allowed
  bool create_on_update = false;     // PUT of a missing object creates it
  bool has_generation = false;       // metadata.generation maintained
  // CRs: openAPIV3Schema, shared: every request carries a copy of its ResourceInfo.
  std::shared_ptr<const Json> schema_ptr = std::make_shared<const Json>();
  Json printer_columns = Json::array();
  std::vector<std::string> field_selectors = {"metadata.name", "metadata.namespace"};

  const Json& schema() const { return *schema_ptr; }
  GroupResource gr() const { return {group, resource}; }
  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
  std::string GroupVersion() const { return ApiVersion(); }
};

class ResourceRegistry {
 public:
  ResourceRegistry();  // the built-ins

  std::optional<ResourceInfo> Find(const std::string& group, const std::string& version,
                                   const std::string& resource) const;
  // Every served resource, built-ins first.
  std::vector<ResourceInfo> All() const;

  // Serves (or re-serves, after an update) what a CRD object declares.
  // InvalidArgument when the CRD lacks group, names or versions.
  [[nodiscard]] absl::Status AddCrd(const Json& crd);
  void RemoveCrd(const std::string& crd_name);

 private:
  mutable std::mutex mu_;
  std::vector<ResourceInfo> builtins_;
  std::map<std::string, std::vector<ResourceInfo>> crds_;  // by CRD name; guarded by mu_
};

// The resources a CRD object declares, one per served version.
[[nodiscard]] absl::StatusOr<std::vector<ResourceInfo>> ResourcesOfCrd(const Json& crd);

}  // namespace nanoplane::kube::testing
