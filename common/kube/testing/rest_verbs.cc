#include "common/strings.h"
#include "common/kube/testing/rest_verbs.h"

#include "absl/strings/str_cat.h"
#include "common/kube/testing/api_errors.h"
#include "common/kube/testing/event_conversion.h"
#include "common/kube/testing/object_meta.h"
#include "common/kube/testing/structural_schema.h"

namespace nanoplane::kube::testing {
namespace {

const char kCrdStorage[] = "apiextensions.k8s.io/customresourcedefinitions";

std::string MetaString(const Json& object, const char* field) {
  const Json& meta = object.value("metadata", Json::object());
  return meta.contains(field) && meta[field].is_string() ? meta[field].get<std::string>() : "";
}

bool IsEventsV1(const ResourceInfo& r) { return r.group == "events.k8s.io"; }

// What the CRD's own controllers write into its status once its names are
// accepted: the real server does it moments after the create.
void EstablishCrd(Json& crd, const std::string& now) {
  Json& status = crd["status"];
  const Json names = crd["spec"]["names"];
  status["acceptedNames"] = names;
  status["conditions"] = Json::array(
      {{{"type", "NamesAccepted"}, {"status", "True"}, {"lastTransitionTime", now},
        {"reason", "NoConflicts"}, {"message", "no conflicts found"}},
       {{"type", "Established"}, {"status", "True"}, {"lastTransitionTime", now},
        {"reason", "InitialNamesAccepted"}, {"message", "the initial names have been accepted"}}});
  Json stored = Json::array();
  for (const Json& v : crd["spec"].value("versions", Json::array())) {
    if (v.value("storage", false)) {
      stored.push_back(v.value("name", ""));
    }
  }
  status["storedVersions"] = stored;
}

}  // namespace

RestVerbs::RestVerbs(ObjectStore& store, ResourceRegistry& registry,
                     std::function<absl::Time()> now)
    : store_(store), registry_(registry), now_(std::move(now)) {}

Json RestVerbs::ToStorage(const ResourceInfo& resource, Json object) const {
  if (IsEventsV1(resource)) {
    return EventsV1ToCore(object);
  }
  return object;
}

Json RestVerbs::FromStorage(const ResourceInfo& resource, Json object) const {
  if (resource.resource == "events") {
    return IsEventsV1(resource) ? CoreToEventsV1(object) : NormalizeCoreEvent(std::move(object));
  }
  if (resource.custom) {
    object["apiVersion"] = resource.ApiVersion();
    ApplyDefaults(object, resource.schema());  // the real server defaults on read, too
  }
  return object;
}

absl::StatusOr<Json> RestVerbs::ParseBody(const VerbRequest& request) const {
  if (request.content_type.find("protobuf") != std::string::npos) {
    // The fake speaks JSON only; the real server also takes protobuf (kubectl
    // sends its access reviews so).
    return UnsupportedMediaType("application/json, application/yaml");
  }
  Json body = Json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return BadRequest(StrCat("the body of the request could not be decoded as a ",
                                   request.resource.kind, " (", request.resource.ApiVersion(),
                                   "): invalid JSON"));
  }
  const ResourceInfo& r = request.resource;
  std::string api_version = body.value("apiVersion", "");
  if (r.custom && body.value("kind", "").empty()) {
    // The unstructured decoder insists; typed built-ins default kind and apiVersion.
    return BadRequest(StrCat(r.kind, " in version \"", r.version, "\" cannot be handled as a ",
                             r.kind, ": Object 'Kind' is missing in '", request.body, "'"));
  }
  if (!api_version.empty() && request.subresource != "scale" && api_version != r.ApiVersion() &&
      !(r.custom && api_version.rfind(r.group + "/", 0) == 0)) {
    return BadRequest(StrCat("the API version in the data (", api_version,
                             ") does not match the expected API version (", r.ApiVersion(), ")"));
  }
  if (!body.contains("metadata") || !body["metadata"].is_object()) {
    body["metadata"] = Json::object();
  }
  return body;
}

ObjectKey RestVerbs::KeyOf(const VerbRequest& request) const {
  return {request.resource.storage, request.resource.namespaced ? request.ns : "", request.name};
}

absl::StatusOr<VerbResponse> RestVerbs::Get(const VerbRequest& request) {
  auto lock = store_.Lock();
  std::optional<Json> object = store_.GetLocked(KeyOf(request));
  if (!object.has_value()) {
    return NotFound(request.resource.gr(), request.name);
  }
  if (request.subresource == "scale") {
    return VerbResponse{200, ScaleOf(request.resource, FromStorage(request.resource, *object))};
  }
  return VerbResponse{200, FromStorage(request.resource, *std::move(object))};
}

absl::Status RestVerbs::CheckNamespaceLocked(const VerbRequest& request,
                                             const std::string& name) const {
  if (!request.resource.namespaced) {
    return absl::OkStatus();
  }
  std::optional<Json> ns = store_.GetLocked({"/namespaces", "", request.ns});
  if (!ns.has_value()) {
    return NotFound({"", "namespaces"}, request.ns);
  }
  if (BeingDeleted(*ns)) {
    return Forbidden(request.resource.gr(), name,
                     StrCat("unable to create new content in namespace ", request.ns,
                                  " because it is being terminated"));
  }
  return absl::OkStatus();
}

// Schema defaulting, pruning and validation, and the metadata rules.
absl::StatusOr<Json> RestVerbs::Admit(const VerbRequest& request, Json object,
                                      const Json* old) const {
  const ResourceInfo& r = request.resource;
  std::vector<FieldCause> causes;
  if (r.custom && !r.schema().is_null()) {
    ApplyDefaults(object, r.schema());
    Prune(object, r.schema());
  }
  if (old != nullptr) {
    KeepImmutableMeta(*old, object);
    causes = ValidateMetaUpdate(*old, object);
  }
  for (FieldCause& c : ValidateName(r, object)) {
    causes.push_back(std::move(c));
  }
  if (r.custom && !r.schema().is_null()) {
    for (FieldCause& c : Validate(object, r.schema())) {
      causes.push_back(std::move(c));
    }
  }
  if (r.custom && r.scale.has_value()) {
    // The scale subresource's own check of specReplicasPath (ValidateCustomResource).
    Json replicas = AtPath(object, r.scale->spec_replicas);
    if (!replicas.is_null() && !replicas.is_number_integer()) {
      std::string shown = replicas.is_string() ? replicas.get<std::string>() : replicas.dump();
      std::string type = replicas.is_string() ? "string" : replicas.is_boolean() ? "bool"
                         : replicas.is_number() ? "float64" : "map[string]interface {}";
      causes.push_back({.type = "FieldValueInvalid",
                        .field = r.scale->spec_replicas,
                        .message = StrCat("Invalid value: 0: ", r.scale->spec_replicas,
                                          " accessor error: ", shown, " is of the type ", type,
                                          ", expected int64")});
    }
  }
  if (r.resource == "events") {
    auto more = IsEventsV1(r) && old == nullptr ? ValidateEventsV1(CoreToEventsV1(object))
                                                : ValidateCoreEvent(object);
    causes.insert(causes.end(), more.begin(), more.end());
  }
  if (!causes.empty()) {
    return Invalid(r.kind, r.group, MetaString(object, "name"), causes);
  }
  return object;
}

absl::StatusOr<VerbResponse> RestVerbs::Create(const VerbRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) {
    return body.status();
  }
  auto lock = store_.Lock();
  return CreateLocked(request, *std::move(body));
}

absl::StatusOr<VerbResponse> RestVerbs::CreateLocked(const VerbRequest& request, Json object) {
  const ResourceInfo& r = request.resource;
  Json& meta = object["metadata"];
  if (r.namespaced) {
    if (MetaString(object, "namespace").empty()) {
      meta["namespace"] = request.ns;
    } else if (MetaString(object, "namespace") != request.ns) {
      return BadRequest(
          "the namespace of the provided object does not match the namespace sent on the request");
    }
  } else {
    meta.erase("namespace");
  }
  if (MetaString(object, "name").empty() && !MetaString(object, "generateName").empty()) {
    meta["name"] = GenerateName(MetaString(object, "generateName"));
  }
  if (absl::Status s = CheckNamespaceLocked(request, MetaString(object, "name")); !s.ok()) {
    return s;
  }
  if (!MetaString(object, "resourceVersion").empty()) {
    return InternalError("resourceVersion should not be set on objects to be created");
  }
  object = ToStorage(r, std::move(object));
  if (r.custom && r.status_subresource) {
    object.erase("status");  // customResourceStrategy.PrepareForCreate
  }
  Json& m = object["metadata"];
  m.erase("deletionTimestamp");
  m.erase("deletionGracePeriodSeconds");
  m["uid"] = NewUid();
  m["creationTimestamp"] = Rfc3339(now_());
  if (r.has_generation) {
    m["generation"] = 1;
  } else {
    m.erase("generation");
  }
  if (r.resource == "namespaces") {
    object["spec"] = {{"finalizers", Json::array({"kubernetes"})}};
    object["status"] = {{"phase", "Active"}};
  }
  auto admitted = Admit(request, std::move(object), nullptr);
  if (!admitted.ok()) {
    return admitted.status();
  }
  ObjectKey key{r.storage, r.namespaced ? request.ns : "", MetaString(*admitted, "name")};
  if (store_.GetLocked(key).has_value()) {
    return AlreadyExists(r.gr(), key.name);
  }
  if (request.DryRun()) {
    return VerbResponse{201, FromStorage(r, *std::move(admitted))};
  }
  return VerbResponse{201, FromStorage(r, StoreLocked(request, key, *std::move(admitted)))};
}

// Writes and keeps the served resources in step with CRD objects.
Json RestVerbs::StoreLocked(const VerbRequest& request, const ObjectKey& key, Json object) {
  Json stored = store_.PutLocked(key, std::move(object));
  if (key.storage == kCrdStorage && registry_.AddCrd(stored).ok() &&
      !stored.value("status", Json::object()).contains("conditions")) {
    // The create returns before the names are accepted; the conditions come
    // in a second write, as from the real server's controllers.
    Json established = stored;
    EstablishCrd(established, Rfc3339(now_()));
    store_.PutLocked(key, std::move(established));
  }
  (void)request;
  return stored;
}

absl::StatusOr<VerbResponse> RestVerbs::Update(const VerbRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) {
    return body.status();
  }
  Json incoming = *std::move(body);
  if (request.subresource == "scale") {
    return Write(request, [&](const Json& current) { return ApplyScale(request.resource, current, incoming); },
                 false);
  }
  return Write(request, [&](const Json&) -> absl::StatusOr<Json> { return incoming; }, false);
}

absl::StatusOr<VerbResponse> RestVerbs::Write(const VerbRequest& request, const Mutation& mutate,
                                              bool is_patch) {
  const ResourceInfo& r = request.resource;
  const GroupResource gr = r.gr();
  auto lock = store_.Lock();
  std::optional<Json> current = store_.GetLocked(KeyOf(request));
  if (!current.has_value()) {
    if (r.create_on_update && !is_patch && request.subresource.empty()) {
      auto body = ParseBody(request);
      if (!body.ok()) {
        return body.status();
      }
      (*body)["metadata"].erase("resourceVersion");
      return CreateLocked(request, *std::move(body));
    }
    return NotFound(gr, request.name);
  }
  auto requested = mutate(FromStorage(r, *current));
  if (!requested.ok()) {
    return requested.status();
  }
  Json object = ToStorage(r, *std::move(requested));
  Json& meta = object["metadata"];
  if (!meta.is_object()) {
    meta = Json::object();
  }
  if (MetaString(object, "name").empty()) {
    meta["name"] = request.name;
  } else if (MetaString(object, "name") != request.name) {
    return BadRequest(StrCat("the name of the object (", MetaString(object, "name"),
                                   ") does not match the name on the URL (", request.name, ")"));
  }
  if (r.namespaced && MetaString(object, "namespace").empty()) {
    meta["namespace"] = request.ns;
  }
  const std::string rv = MetaString(object, "resourceVersion");
  if (rv.empty() && !is_patch && !r.unconditional_update) {
    // Made from the resource, not the kind, as the real server's message shows.
    return Invalid(r.resource, r.group, request.name,
                   {{.type = "FieldValueInvalid",
                     .field = "metadata.resourceVersion",
                     .message = "Invalid value: 0x0: must be specified for an update"}});
  }
  if (!rv.empty() && rv != MetaString(*current, "resourceVersion")) {
    return ObjectModifiedConflict(gr, request.name);
  }
  if (!MetaString(object, "uid").empty() && MetaString(object, "uid") != MetaString(*current, "uid")) {
    return Conflict(gr, request.name,
                    StrCat("Precondition failed: UID in precondition: ",
                                 MetaString(object, "uid"),
                                 ", UID in object meta: ", MetaString(*current, "uid")));
  }
  if (request.subresource == "status") {
    // statusStrategy.PrepareForUpdate: everything but status stays as it was.
    Json status = object.contains("status") ? object["status"] : Json();
    object = *current;
    object.erase("status");
    if (!status.is_null()) {
      object["status"] = status;
    }
  } else if (r.status_subresource) {
    object.erase("status");
    if (current->contains("status")) {
      object["status"] = (*current)["status"];
    }
  }
  auto admitted = Admit(request, std::move(object), &*current);
  if (!admitted.ok()) {
    return admitted.status();
  }
  object = *std::move(admitted);
  if (r.has_generation && SpecChanged(*current, object, r.status_subresource)) {
    object["metadata"]["generation"] = current->value("/metadata/generation"_json_pointer, 0) + 1;
  }
  object["metadata"]["resourceVersion"] = MetaString(*current, "resourceVersion");
  auto respond = [&](const Json& stored) {
    Json served = FromStorage(r, stored);
    return VerbResponse{200, request.subresource == "scale" ? ScaleOf(r, served) : served};
  };
  if (SameObject(object, *current)) {
    return respond(*current);  // etcd3's GuaranteedUpdate writes nothing for a no-op
  }
  if (request.DryRun()) {
    return respond(object);
  }
  if (BeingDeleted(object) && FinalizersOf(object).empty()) {
    Json last = store_.RemoveLocked(KeyOf(request));
    RemovedLocked(request, last);
    return respond(last);
  }
  return respond(StoreLocked(request, KeyOf(request), std::move(object)));
}

}  // namespace nanoplane::kube::testing
