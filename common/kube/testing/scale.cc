// The /scale subresource of custom resources (apiextensions-apiserver
// registry/customresource/etcd.go: scaleFromCustomResource and
// scaleUpdatedObjectInfo).

#include "absl/strings/str_split.h"
#include "common/strings.h"
#include "common/kube/testing/api_errors.h"
#include "common/kube/testing/rest_verbs.h"

namespace nanoplane::kube::testing {
namespace {

std::vector<std::string> Steps(const std::string& path) {
  return absl::StrSplit(path, '.', absl::SkipEmpty());
}

}  // namespace

Json AtPath(const Json& object, const std::string& path) {
  const Json* at = &object;
  for (const std::string& step : Steps(path)) {
    if (!at->is_object() || !at->contains(step)) {
      return nullptr;
    }
    at = &(*at)[step];
  }
  return *at;
}

Json ScaleOf(const ResourceInfo& resource, const Json& object) {
  const ScalePaths paths = resource.scale.value_or(ScalePaths{});
  const Json& meta = object["metadata"];
  Json scale_meta = Json::object();
  for (const char* f : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
    if (meta.contains(f)) {
      scale_meta[f] = meta[f];
    }
  }
  Json spec_replicas = AtPath(object, paths.spec_replicas);
  Json status_replicas = AtPath(object, paths.status_replicas);
  Json spec = Json::object();
  // ScaleSpec.replicas is omitempty: 0 is not written.
  if (spec_replicas.is_number_integer() && spec_replicas.get<int64_t>() != 0) {
    spec["replicas"] = spec_replicas;
  }
  Json status = {{"replicas", status_replicas.is_number_integer() ? status_replicas : Json(0)}};
  if (!paths.label_selector.empty()) {
    Json selector = AtPath(object, paths.label_selector);
    if (selector.is_string() && !selector.get<std::string>().empty()) {
      status["selector"] = selector;
    }
  }
  return {{"kind", "Scale"}, {"apiVersion", "autoscaling/v1"}, {"metadata", scale_meta},
          {"spec", spec}, {"status", status}};
}

absl::StatusOr<Json> ApplyScale(const ResourceInfo& resource, Json object, const Json& scale) {
  const ScalePaths paths = resource.scale.value_or(ScalePaths{});
  const std::string name = object["metadata"].value("name", "");
  Json replicas = scale.is_object() ? scale.value("/spec/replicas"_json_pointer, Json(0)) : Json(0);
  if (!replicas.is_number_integer()) {
    return BadRequest("Scale in version \"v1\" cannot be handled as a Scale: spec.replicas must be an integer");
  }
  if (replicas.get<int64_t>() < 0) {
    return Invalid("Scale", "autoscaling", name,
                   {InvalidValue("spec.replicas", replicas, "must be greater than or equal to 0")});
  }
  Json* at = &object;
  std::vector<std::string> steps = Steps(paths.spec_replicas);
  for (size_t i = 0; i + 1 < steps.size(); ++i) {
    at = &(*at)[steps[i]];
  }
  if (!steps.empty()) {
    (*at)[steps.back()] = replicas;
  }
  // A resourceVersion on the Scale is the client's precondition.
  std::string rv = scale.value("/metadata/resourceVersion"_json_pointer, std::string());
  if (!rv.empty()) {
    object["metadata"]["resourceVersion"] = rv;
  }
  return object;
}

}  // namespace nanoplane::kube::testing
