#include "common/strings.h"
#include "common/kube/testing/resources.h"

#include <tuple>

#include "absl/strings/str_cat.h"

namespace nanoplane::kube::testing {
namespace {

const std::vector<std::string> kAllVerbs = {"create", "delete", "deletecollection", "get",
                                            "list",   "patch",  "update",           "watch"};

ResourceInfo Builtin(std::string group, std::string version, std::string resource,
                     std::string singular, std::string kind, bool namespaced,
                     std::vector<std::string> short_names = {}) {
  ResourceInfo r;
  r.group = std::move(group);
  r.version = std::move(version);
  r.resource = std::move(resource);
  r.singular = std::move(singular);
  r.kind = kind;
  r.list_kind = kind + "List";
  r.namespaced = namespaced;
  r.short_names = std::move(short_names);
  r.verbs = kAllVerbs;
  r.storage = r.group + "/" + r.resource;
  return r;
}

// Fields the real server lets a fieldSelector name on core/v1 events
// (pkg/registry/core/event/strategy.go ToSelectableFields).
std::vector<std::string> EventFields() {
  return {"metadata.name", "metadata.namespace", "involvedObject.kind",
          "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
          "involvedObject.apiVersion", "involvedObject.resourceVersion",
          "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"};
}

std::vector<ResourceInfo> Builtins() {
  std::vector<ResourceInfo> all;
  ResourceInfo ns = Builtin("", "v1", "namespaces", "", "Namespace", false, {"ns"});
  ns.verbs = {"create", "delete", "get", "list", "patch", "update", "watch"};
  ns.field_selectors = {"metadata.name", "status.phase"};
  all.push_back(ns);
  ResourceInfo events = Builtin("", "v1", "events", "", "Event", true, {"ev"});
  events.storage = "/events";
  events.create_on_update = true;
  events.field_selectors = EventFields();
  all.push_back(events);
  ResourceInfo secrets = Builtin("", "v1", "secrets", "", "Secret", true);
  secrets.field_selectors = {"metadata.name", "metadata.namespace", "type"};
  all.push_back(secrets);
  all.push_back(Builtin("", "v1", "configmaps", "", "ConfigMap", true, {"cm"}));
  all.push_back(Builtin("", "v1", "serviceaccounts", "", "ServiceAccount", true, {"sa"}));
  all.push_back(Builtin("apps", "v1", "controllerrevisions", "", "ControllerRevision", true));
  // Per-kind update rules, from each kind's strategy in pkg/registry.
  ResourceInfo leases = Builtin("coordination.k8s.io", "v1", "leases", "", "Lease", true);
  leases.unconditional_update = false;
  leases.create_on_update = true;
  all.push_back(leases);
  ResourceInfo v1events = Builtin("events.k8s.io", "v1", "events", "", "Event", true, {"ev"});
  v1events.storage = "/events";
  v1events.create_on_update = true;
  v1events.field_selectors = EventFields();
  all.push_back(v1events);
  ResourceInfo crds = Builtin("apiextensions.k8s.io", "v1", "customresourcedefinitions", "",
                              "CustomResourceDefinition", false, {"crd", "crds"});
  crds.has_generation = true;
  crds.status_subresource = true;  // the CRD strategy keeps status out of main writes
  crds.unconditional_update = false;
  all.push_back(crds);
  const std::string rbac = "rbac.authorization.k8s.io";
  for (auto [plural, kind, namespaced] :
       {std::tuple{"roles", "Role", true}, {"rolebindings", "RoleBinding", true},
        {"clusterroles", "ClusterRole", false}, {"clusterrolebindings", "ClusterRoleBinding", false}}) {
    ResourceInfo r = Builtin(rbac, "v1", plural, "", kind, namespaced);
    r.create_on_update = true;
    all.push_back(r);
  }
  for (const char* review : {"selfsubjectaccessreviews", "subjectaccessreviews"}) {
    ResourceInfo r = Builtin("authorization.k8s.io", "v1", review, "",
                             review[0] == 's' && review[1] == 'e' ? "SelfSubjectAccessReview"
                                                                  : "SubjectAccessReview",
                             false);
    r.verbs = {"create"};
    all.push_back(r);
  }
  return all;
}

std::vector<std::string> Strings(const Json& array) {
  std::vector<std::string> out;
  if (array.is_array()) {
    for (const Json& s : array) {
      if (s.is_string()) {
        out.push_back(s.get<std::string>());
      }
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<ResourceInfo>> ResourcesOfCrd(const Json& crd) {
  const Json& spec = crd.value("spec", Json::object());
  const Json& names = spec.value("names", Json::object());
  if (!spec.contains("group") || !names.contains("plural") || !names.contains("kind") ||
      !spec.contains("versions") || !spec["versions"].is_array()) {
    return absl::InvalidArgumentError(
        StrCat("CRD ", crd.value("/metadata/name"_json_pointer, Json("")).dump(),
                     " needs spec.group, spec.names.plural/kind and spec.versions"));
  }
  std::vector<ResourceInfo> out;
  for (const Json& v : spec["versions"]) {
    if (!v.value("served", true)) {
      continue;
    }
    ResourceInfo r;
    r.group = spec["group"].get<std::string>();
    r.version = v.value("name", "");
    r.resource = names["plural"].get<std::string>();
    r.kind = names["kind"].get<std::string>();
    r.singular = names.value("singular", "");
    if (r.singular.empty()) {
      for (char c : r.kind) {
        r.singular.push_back(static_cast<char>(std::tolower(c)));
      }
    }
    r.list_kind = names.value("listKind", r.kind + "List");
    r.namespaced = spec.value("scope", "Namespaced") == "Namespaced";
    r.short_names = Strings(names.value("shortNames", Json::array()));
    r.categories = Strings(names.value("categories", Json::array()));
    r.verbs = kAllVerbs;
    r.storage = r.group + "/" + r.resource;
    r.custom = true;
    r.unconditional_update = false;  // customResourceStrategy.AllowUnconditionalUpdate
    r.has_generation = true;
    const Json& sub = v.value("subresources", Json::object());
    r.status_subresource = sub.contains("status");
    if (sub.contains("scale")) {
      const Json& s = sub["scale"];
      r.scale = ScalePaths{.spec_replicas = s.value("specReplicasPath", ""),
                           .status_replicas = s.value("statusReplicasPath", ""),
                           .label_selector = s.value("labelSelectorPath", "")};
    }
    r.schema_ptr =
        std::make_shared<const Json>(v.value("/schema/openAPIV3Schema"_json_pointer, Json()));
    r.printer_columns = v.value("additionalPrinterColumns", Json::array());
    out.push_back(std::move(r));
  }
  return out;
}

ResourceRegistry::ResourceRegistry() : builtins_(Builtins()) {}

std::optional<ResourceInfo> ResourceRegistry::Find(const std::string& group,
                                                   const std::string& version,
                                                   const std::string& resource) const {
  auto matches = [&](const ResourceInfo& r) {
    return r.group == group && r.version == version && r.resource == resource;
  };
  std::lock_guard<std::mutex> lock(mu_);
  for (const ResourceInfo& r : builtins_) {
    if (matches(r)) {
      return r;
    }
  }
  for (const auto& [name, resources] : crds_) {
    for (const ResourceInfo& r : resources) {
      if (matches(r)) {
        return r;
      }
    }
  }
  return std::nullopt;
}

std::vector<ResourceInfo> ResourceRegistry::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ResourceInfo> all = builtins_;
  for (const auto& [name, resources] : crds_) {
    all.insert(all.end(), resources.begin(), resources.end());
  }
  return all;
}

absl::Status ResourceRegistry::AddCrd(const Json& crd) {
  auto resources = ResourcesOfCrd(crd);
  if (!resources.ok()) {
    return resources.status();
  }
  std::lock_guard<std::mutex> lock(mu_);
  crds_[crd["metadata"].value("name", "")] = *std::move(resources);
  return absl::OkStatus();
}

void ResourceRegistry::RemoveCrd(const std::string& crd_name) {
  std::lock_guard<std::mutex> lock(mu_);
  crds_.erase(crd_name);
}

}  // namespace nanoplane::kube::testing
