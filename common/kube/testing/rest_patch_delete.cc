// PATCH, DELETE and DELETE of a collection, with the real server's semantics.

#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "common/kube/testing/api_errors.h"
#include "common/kube/testing/object_meta.h"
#include "common/kube/testing/rest_verbs.h"
#include "common/kube/testing/selectors.h"
#include "common/yaml_json.h"

namespace nanoplane::kube::testing {
namespace {

constexpr char kOrphan[] = "orphan";
constexpr char kForeground[] = "foregroundDeletion";

std::string MediaType(const std::string& content_type) {
  return absl::AsciiStrToLower(
      absl::StripAsciiWhitespace(content_type.substr(0, content_type.find(';'))));
}

std::string MetaString(const Json& object, const char* field) {
  const Json& meta = object.value("metadata", Json::object());
  return meta.contains(field) && meta[field].is_string() ? meta[field].get<std::string>() : "";
}

absl::StatusOr<Json> ParsePatch(const std::string& type, const std::string& body) {
  if (type == "application/apply-patch+yaml") {
    auto docs = ParseYamlDocuments(body);
    if (!docs.ok() || docs->size() != 1 || !(*docs)[0].ok()) {
      return BadRequest("error decoding YAML: the apply patch must be one YAML document");
    }
    return *(*docs)[0];
  }
  Json patch = Json::parse(body, nullptr, false);
  if (patch.is_discarded()) {
    return BadRequest("error decoding patch: invalid JSON");
  }
  return patch;
}

// The finalizers a delete leaves, as deletionFinalizersForGarbageCollection
// computes them: a propagationPolicy (or orphanDependents) replaces the
// orphan/foreground finalizers; without one, those already present stay.
std::vector<std::string> FinalizersAfterDelete(const Json& object, const Json& options) {
  std::vector<std::string> finalizers = FinalizersOf(object);
  std::string policy = options.value("propagationPolicy", "");
  if (policy.empty() && options.contains("orphanDependents") &&
      options["orphanDependents"].is_boolean()) {
    policy = options["orphanDependents"].get<bool>() ? "Orphan" : "Background";
  }
  if (policy.empty()) {
    return finalizers;
  }
  std::vector<std::string> out;
  for (const std::string& f : finalizers) {
    if (f != kOrphan && f != kForeground) {
      out.push_back(f);
    }
  }
  if (policy == "Orphan") {
    out.push_back(kOrphan);
  } else if (policy == "Foreground") {
    out.push_back(kForeground);
  }
  return out;
}

absl::StatusOr<Json> DeleteOptions(const VerbRequest& request) {
  Json options = Json::object();
  if (!absl::StripAsciiWhitespace(request.body).empty()) {
    options = Json::parse(request.body, nullptr, false);
    if (options.is_discarded() || !options.is_object()) {
      return BadRequest("the body of the request could not be decoded as DeleteOptions");
    }
  }
  if (!request.Query("propagationPolicy").empty()) {
    options["propagationPolicy"] = request.Query("propagationPolicy");
  }
  if (request.DryRun()) {
    options["dryRun"] = Json::array({"All"});
  }
  std::string policy = options.value("propagationPolicy", "");
  if (!policy.empty() && policy != "Orphan" && policy != "Foreground" && policy != "Background") {
    return Invalid("DeleteOptions", "meta.k8s.io", "",
                   {{.type = "FieldValueNotSupported",
                     .field = "propagationPolicy",
                     .message = StrCat("Unsupported value: \"", policy,
                                             "\": supported values: \"Foreground\", "
                                             "\"Background\", \"Orphan\", \"nil\"")}});
  }
  return options;
}

}  // namespace

absl::StatusOr<VerbResponse> RestVerbs::Patch(const VerbRequest& request) {
  const ResourceInfo& r = request.resource;
  const std::string type = MediaType(request.content_type);
  std::string accepted = "application/json-patch+json, application/merge-patch+json, ";
  if (!r.custom) {
    StrAppend(&accepted, "application/strategic-merge-patch+json, ");
  }
  StrAppend(&accepted, "application/apply-patch+yaml");
  bool known = type == "application/json-patch+json" || type == "application/merge-patch+json" ||
               type == "application/apply-patch+yaml" ||
               (!r.custom && type == "application/strategic-merge-patch+json");
  if (!known) {
    return UnsupportedMediaType(accepted);
  }
  auto patch = ParsePatch(type, request.body);
  if (!patch.ok()) {
    return patch.status();
  }
  if (type == "application/apply-patch+yaml" && request.Query("fieldManager").empty()) {
    return Invalid("PatchOptions", "meta.k8s.io", "",
                   {Required("fieldManager", "is required for apply patch")});
  }
  // Server-side apply is approximated by a merge patch (no managedFields,
  // no field ownership conflicts); a missing object is created.
  if (type == "application/apply-patch+yaml" && request.subresource.empty()) {
    auto lock = store_.Lock();
    if (!store_.GetLocked(KeyOf(request)).has_value()) {
      Json object = *patch;
      if (!object.contains("metadata") || !object["metadata"].is_object()) {
        object["metadata"] = Json::object();
      }
      return CreateLocked(request, std::move(object));
    }
  }
  auto apply = [&](Json target) -> absl::StatusOr<Json> {
    if (type == "application/json-patch+json") {
      try {
        return target.patch(*patch);
      } catch (const std::exception& e) {
        return ApiError(422, "Invalid", e.what());
      }
    }
    target.merge_patch(*patch);
    return target;
  };
  return Write(
      request,
      [&](const Json& current) -> absl::StatusOr<Json> {
        if (request.subresource == "scale") {
          auto scale = apply(ScaleOf(r, current));
          if (!scale.ok()) {
            return scale.status();
          }
          return ApplyScale(r, current, *scale);
        }
        return apply(current);
      },
      true);
}

absl::StatusOr<VerbResponse> RestVerbs::Delete(const VerbRequest& request) {
  auto options = DeleteOptions(request);
  if (!options.ok()) {
    return options.status();
  }
  auto lock = store_.Lock();
  return DeleteLocked(request, *options);
}

absl::StatusOr<VerbResponse> RestVerbs::DeleteLocked(const VerbRequest& request,
                                                     const Json& options) {
  const ResourceInfo& r = request.resource;
  std::optional<Json> current = store_.GetLocked(KeyOf(request));
  if (!current.has_value()) {
    return NotFound(r.gr(), request.name);
  }
  // rest.BeforeDelete's checks: a conflict on <Kind>.<group>, not on the resource.
  const Json pre = options.value("preconditions", Json::object());
  const GroupResource by_kind{r.group, r.kind};
  for (const auto& [field, label, why] :
       {std::tuple{"uid", "UID", "deleted and then recreated"},
        {"resourceVersion", "ResourceVersion", "modified"}}) {
    if (pre.contains(field) && pre[field].is_string() &&
        pre[field].get<std::string>() != MetaString(*current, field)) {
      return Conflict(by_kind, request.name,
                      StrCat("the ", label, " in the precondition (", pre[field].get<std::string>(),
                             ") does not match the ", label, " in record (",
                             MetaString(*current, field), "). The object might have been ", why));
    }
  }
  bool dry_run = options.contains("dryRun") && !options["dryRun"].empty();
  Json object = *current;
  std::vector<std::string> finalizers = FinalizersAfterDelete(object, options);
  if (r.resource == "namespaces" && r.group.empty()) {
    // The namespace's own "kubernetes" finalizer: without the namespace
    // controller (kube-controller-manager), it stays Terminating.
    object["status"]["phase"] = "Terminating";
  }
  if (!finalizers.empty() || (r.resource == "namespaces" && r.group.empty())) {
    Json& meta = object["metadata"];
    if (!finalizers.empty()) {
      meta["finalizers"] = finalizers;
    }
    // markAsDeleting: the first delete bumps the generation.
    if (!BeingDeleted(object)) {
      if (meta.value("generation", 0) > 0) {
        meta["generation"] = meta["generation"].get<int64_t>() + 1;
      }
      meta["deletionTimestamp"] = Rfc3339(now_());
    }
    meta["deletionGracePeriodSeconds"] = 0;
    if (object != *current && !dry_run) {
      object = StoreLocked(request, KeyOf(request), std::move(object));
    }
    return VerbResponse{200, FromStorage(r, std::move(object))};
  }
  Json last = dry_run ? object : store_.RemoveLocked(KeyOf(request));
  if (!dry_run) {
    RemovedLocked(request, last);
  }
  Json details = {{"name", request.name}};
  if (!r.group.empty()) {
    details["group"] = r.group;
  }
  details["kind"] = r.resource;
  details["uid"] = MetaString(last, "uid");
  return VerbResponse{200, {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()},
                            {"status", "Success"}, {"details", details}}};
}

// A CRD's objects go with it (the real server's finalizer,
// customresourcecleanup.apiextensions.k8s.io, does that before it goes).
void RestVerbs::RemovedLocked(const VerbRequest& request, const Json& object) {
  if (request.resource.storage != "apiextensions.k8s.io/customresourcedefinitions") {
    return;
  }
  const std::string name = MetaString(object, "name");
  const Json& spec = object.value("spec", Json::object());
  const std::string storage =
      spec.value("group", "") + "/" + spec.value("/names/plural"_json_pointer, std::string());
  for (const Json& cr : store_.ListLocked(storage, "")) {
    store_.RemoveLocked({storage, MetaString(cr, "namespace"), MetaString(cr, "name")});
  }
  registry_.RemoveCrd(name);
}

absl::StatusOr<VerbResponse> RestVerbs::DeleteCollection(const VerbRequest& request) {
  const ResourceInfo& r = request.resource;
  auto options = DeleteOptions(request);
  if (!options.ok()) {
    return options.status();
  }
  auto selectors = ParseSelectors(request.Query("labelSelector"), request.Query("fieldSelector"),
                                  r.field_selectors);
  if (!selectors.ok()) {
    return selectors.status();
  }
  auto lock = store_.Lock();
  Json items = Json::array();
  for (const Json& object : store_.ListLocked(r.storage, r.namespaced ? request.ns : "")) {
    if (!selectors->Matches(LabelsOf(object), SelectableFields(r, object))) {
      continue;
    }
    VerbRequest one = request;
    one.name = MetaString(object, "name");
    one.ns = MetaString(object, "namespace");
    auto deleted = DeleteLocked(one, *options);
    if (deleted.ok()) {
      items.push_back(FromStorage(r, object));
    }
  }
  return VerbResponse{200, {{"kind", r.list_kind}, {"apiVersion", r.ApiVersion()},
                            {"metadata", {{"resourceVersion", StrCat(store_.RevisionLocked())}}},
                            {"items", items}}};
}

}  // namespace nanoplane::kube::testing
