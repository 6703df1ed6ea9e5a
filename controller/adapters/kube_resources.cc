#include "controller/adapters/kube_resources.h"

#include <algorithm>

#include "common/codec.h"
#include "common/status.h"
#include "common/strings.h"
#include "controller/core/convert.h"

namespace nanoplane::controller::kube_resources {
namespace {

namespace pb = ::nanoplane::v1alpha1;

constexpr std::string_view kGroupVersion = "/apis/nanoplane.dev/v1alpha1";

std::string NamespacedPath(std::string_view group_version, const std::optional<std::string>& ns,
                           std::string_view resource) {
  return ns.has_value() ? StrCat(group_version, "/namespaces/", *ns, "/", resource)
                        : StrCat(group_version, "/", resource);
}

std::string String(const Json& object, std::string_view key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const Json& Child(const Json& object, std::string_view key) {
  static const Json kEmpty = Json::object();
  auto it = object.find(key);
  return it != object.end() && it->is_object() ? *it : kEmpty;
}

ports::Labels LabelsOf(const Json& object) {
  ports::Labels labels;
  for (const auto& [key, value] : Child(object, "labels").items()) {
    if (value.is_string()) {
      labels[key] = value.get<std::string>();
    }
  }
  return labels;
}

Json LabelsJson(const ports::Labels& labels) {
  Json out = Json::object();
  for (const auto& [key, value] : labels) {
    out[key] = value;
  }
  return out;
}

// The metadata fields ObjectMeta has; the server's others are not ours.
Json KnownMetadata(const Json& metadata) {
  static constexpr std::string_view kKnown[] = {"name",
                                                "namespace",
                                                "labels",
                                                "annotations",
                                                "uid",
                                                "generation",
                                                "resourceVersion",
                                                "creationTimestamp",
                                                "deletionTimestamp",
                                                "finalizers"};
  Json out = Json::object();
  for (std::string_view key : kKnown) {
    if (auto it = metadata.find(key); it != metadata.end() && !it->is_null()) {
      out[std::string(key)] = *it;
    }
  }
  return out;
}

absl::StatusOr<absl::Time> TimeAt(const Json& object, std::string_view key) {
  return core::ParseTimestamp(String(object, key));
}

}  // namespace

std::string UnikernelsPath(const std::optional<std::string>& ns) {
  return NamespacedPath(kGroupVersion, ns, "unikernels");
}

std::string UnikernelPath(const ports::ObjectKey& key) {
  return StrCat(UnikernelsPath(key.ns), "/", key.name);
}

std::string RevisionsPath(const std::string& ns) {
  return NamespacedPath("/apis/apps/v1", ns, "controllerrevisions");
}

std::string RevisionPath(const std::string& ns, const std::string& name) {
  return StrCat(RevisionsPath(ns), "/", name);
}

std::string EventsPath(const std::optional<std::string>& ns) {
  return NamespacedPath("/apis/events.k8s.io/v1", ns, "events");
}

std::string EventPath(const std::string& ns, const std::string& name) {
  return StrCat(EventsPath(ns), "/", name);
}

std::string HostsPath() { return StrCat(kGroupVersion, "/hosts"); }

std::string HostPath(const std::string& name) { return StrCat(HostsPath(), "/", name); }

std::string LeasesPath(const std::string& ns) {
  return NamespacedPath("/apis/coordination.k8s.io/v1", ns, "leases");
}

std::string LeasePath(const std::string& ns, const std::string& name) {
  return StrCat(LeasesPath(ns), "/", name);
}

std::string FormatMicroTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone());
}

Json UnikernelToJson(const pb::Unikernel& object, bool with_status) {
  Json json = EncodeMessage(object);
  json["apiVersion"] = std::string(kApiVersion);
  json["kind"] = std::string(kKind);
  if (!with_status) {
    json.erase("status");
  }
  return json;
}

absl::StatusOr<pb::Unikernel> UnikernelFromJson(const Json& json) {
  Json known = Json::object();
  for (std::string_view key : {"apiVersion", "kind", "spec", "status"}) {
    if (auto it = json.find(key); it != json.end() && !it->is_null()) {
      known[std::string(key)] = *it;
    }
  }
  known["metadata"] = KnownMetadata(Child(json, "metadata"));
  pb::Unikernel object;
  FieldErrors errors;
  DecodeMessage(known, object, "", errors);
  if (!errors.empty()) {
    const Json& metadata = Child(json, "metadata");
    return absl::InternalError(
        StrCat("Unikernel ", String(metadata, "namespace"), "/", String(metadata, "name"),
               " from the API server does not decode: ", FormatFieldError(errors[0])));
  }
  return object;
}

std::string RevisionName(const ports::RevisionRecord& revision) {
  return StrCat(revision.unikernel.name, "-", revision.hash.substr(0, 10));
}

Json RevisionToJson(const ports::RevisionRecord& revision) {
  Json metadata{
      {"name", RevisionName(revision)},
      {"namespace", revision.unikernel.ns},
      // A label value has at most 63 characters; the whole hash is in .data.
      {"labels", Json{{kUnikernelLabel, revision.unikernel.name},
                      {kTemplateHashLabel, revision.hash.substr(0, 63)}}},
      {"annotations", Json{{kCreatedAnnotation, FormatMicroTime(revision.created_time)},
                           {kProgressAnnotation, FormatMicroTime(revision.progress_time)}}},
  };
  if (!revision.unikernel_uid.empty()) {
    // So that a cluster with a garbage collector removes it with its owner too.
    metadata["ownerReferences"] = Json::array({Json{{"apiVersion", std::string(kApiVersion)},
                                                    {"kind", std::string(kKind)},
                                                    {"name", revision.unikernel.name},
                                                    {"uid", revision.unikernel_uid},
                                                    {"controller", true},
                                                    {"blockOwnerDeletion", true}}});
  }
  // The canonical JSON as an object, readable with kubectl; a text that is
  // not JSON (none of ours) is kept as a string.
  Json tmpl = Json::parse(revision.template_json, nullptr, /*allow_exceptions=*/false);
  if (tmpl.is_discarded()) {
    tmpl = revision.template_json;
  }
  return Json{{"apiVersion", "apps/v1"},
              {"kind", "ControllerRevision"},
              {"metadata", std::move(metadata)},
              {"data", Json{{"hash", revision.hash}, {"template", std::move(tmpl)}}},
              {"revision", revision.number}};
}

absl::StatusOr<ports::RevisionRecord> RevisionFromJson(const Json& json) {
  const Json& metadata = Child(json, "metadata");
  const Json& data = Child(json, "data");
  const Json& annotations = Child(metadata, "annotations");
  ports::RevisionRecord out;
  out.unikernel = {.ns = String(metadata, "namespace"),
                   .name = LabelsOf(metadata)[std::string(kUnikernelLabel)]};
  for (const Json& owner : metadata.value("ownerReferences", Json::array())) {
    if (String(owner, "kind") == kKind) {
      out.unikernel_uid = String(owner, "uid");
    }
  }
  out.number = json.value("revision", int64_t{0});
  out.hash = String(data, "hash");
  auto tmpl = data.find("template");
  if (out.hash.empty() || tmpl == data.end()) {
    return absl::InternalError(StrCat("ControllerRevision ", String(metadata, "namespace"), "/",
                                      String(metadata, "name"),
                                      " has no data.hash or data.template: not nanoplane's"));
  }
  out.template_json = tmpl->is_string() ? tmpl->get<std::string>() : tmpl->dump();
  NP_ASSIGN_OR_RETURN(out.created_time, TimeAt(annotations, kCreatedAnnotation));
  NP_ASSIGN_OR_RETURN(out.progress_time, TimeAt(annotations, kProgressAnnotation));
  if (out.created_time == absl::InfinitePast()) {
    out.created_time = absl::UnixEpoch();
  }
  if (out.progress_time == absl::InfinitePast()) {
    out.progress_time = absl::UnixEpoch();
  }
  return out;
}

std::string EventNamespace(const ports::ObjectReference& object) {
  return object.kind == "Host" || object.ns.empty() ? "default" : object.ns;
}

Json NewEventJson(const ports::EventRecord& event, const std::string& name,
                  const std::string& reporting_instance) {
  Json regarding{{"kind", event.object.kind}, {"name", event.object.name}};
  if (event.object.kind == "Unikernel" || event.object.kind == "Host") {
    regarding["apiVersion"] = std::string(kApiVersion);
  }
  if (event.object.kind != "Host") {
    regarding["namespace"] = event.object.ns;
  }
  if (!event.object.uid.empty()) {
    regarding["uid"] = event.object.uid;
  }
  // events.k8s.io/v1 limits the note to 1 kB.
  std::string note =
      event.message.size() > 1024 ? event.message.substr(0, 1021) + "..." : event.message;
  return Json{{"apiVersion", "events.k8s.io/v1"},
              {"kind", "Event"},
              {"metadata", Json{{"name", name}, {"namespace", EventNamespace(event.object)}}},
              {"eventTime", FormatMicroTime(event.first_time)},
              {"reportingController", std::string(kReportingController)},
              {"reportingInstance", reporting_instance},
              {"action", "Reconcile"},
              {"reason", event.reason},
              {"regarding", std::move(regarding)},
              {"note", std::move(note)},
              {"type", event.type == ports::EventType::kWarning ? "Warning" : "Normal"}};
}

Json EventSeriesPatch(int32_t count, absl::Time last_time) {
  return Json{{"series", Json{{"count", count}, {"lastObservedTime", FormatMicroTime(last_time)}}}};
}

absl::StatusOr<ports::EventRecord> EventFromJson(const Json& json) {
  const Json& regarding = Child(json, "regarding");
  ports::EventRecord out{.object = {.kind = String(regarding, "kind"),
                                    .ns = String(regarding, "namespace"),
                                    .name = String(regarding, "name"),
                                    .uid = String(regarding, "uid")},
                         .type = String(json, "type") == "Warning" ? ports::EventType::kWarning
                                                                   : ports::EventType::kNormal,
                         .reason = String(json, "reason"),
                         .message = String(json, "note")};
  if (out.object.ns.empty() && out.object.kind != "Host") {
    out.object.ns = String(Child(json, "metadata"), "namespace");
  }
  NP_ASSIGN_OR_RETURN(out.first_time, TimeAt(json, "eventTime"));
  if (out.first_time == absl::InfinitePast()) {
    NP_ASSIGN_OR_RETURN(out.first_time, TimeAt(json, "deprecatedFirstTimestamp"));
  }
  out.last_time = out.first_time;
  const Json& series = Child(json, "series");
  if (!series.empty()) {
    out.count = series.value("count", 1);
    NP_ASSIGN_OR_RETURN(out.last_time, TimeAt(series, "lastObservedTime"));
  } else if (json.value("deprecatedCount", 0) > 1) {
    out.count = json.value("deprecatedCount", 1);
    NP_ASSIGN_OR_RETURN(out.last_time, TimeAt(json, "deprecatedLastTimestamp"));
  }
  return out;
}

Json NewHostJson(const std::string& name) {
  return Json{{"apiVersion", std::string(kApiVersion)},
              {"kind", "Host"},
              {"metadata", Json{{"name", name}}},
              {"spec", Json::object()}};
}

Json HostWithStatus(Json stored, const ports::HostRecord& host) {
  Json resources{{"memory", host.memory_bytes}, {"cpus", host.cpus}};
  bool ready = host.state == ports::HostState::kReady;
  Json condition{{"type", "Ready"},
                 {"status", ready ? "True" : "False"},
                 {"reason", ready ? "AgentConnected" : "AgentNotHeardFrom"},
                 {"message", ready ? "the agent reports" : "the agent has not been heard from"},
                 {"lastHeartbeatTime", core::FormatTimestamp(host.last_seen)}};
  // The transition time moves only when the condition flips.
  std::string transition = core::FormatTimestamp(host.last_seen);
  for (const Json& previous : Child(stored, "status").value("conditions", Json::array())) {
    if (String(previous, "type") == "Ready" &&
        String(previous, "status") == String(condition, "status")) {
      transition = String(previous, "lastTransitionTime");
    }
  }
  condition["lastTransitionTime"] = transition;
  Json& status = stored["status"];
  if (!status.is_object()) {
    status = Json::object();
  }
  status["allocatable"] = resources;
  if (!status.contains("capacity")) {
    status["capacity"] = resources;
  }
  status["labels"] = LabelsJson(host.labels);
  status["conditions"] = Json::array({std::move(condition)});
  return stored;
}

absl::StatusOr<ports::HostRecord> HostFromJson(const Json& json) {
  const Json& metadata = Child(json, "metadata");
  const Json& status = Child(json, "status");
  ports::HostRecord out{.name = String(metadata, "name"), .labels = LabelsOf(status)};
  for (const auto& [key, value] : LabelsOf(metadata)) {
    out.labels[key] = value;  // a person's label wins over the agent's
  }
  const Json& allocatable = Child(status, "allocatable");
  out.memory_bytes = allocatable.value("memory", int64_t{0});
  out.cpus = allocatable.value("cpus", int64_t{0});
  out.state = ports::HostState::kNotReady;
  out.last_seen = absl::UnixEpoch();
  for (const Json& condition : status.value("conditions", Json::array())) {
    if (String(condition, "type") == "Ready") {
      out.state = String(condition, "status") == "True" ? ports::HostState::kReady
                                                        : ports::HostState::kNotReady;
      NP_ASSIGN_OR_RETURN(absl::Time heartbeat, TimeAt(condition, "lastHeartbeatTime"));
      if (heartbeat != absl::InfinitePast()) {
        out.last_seen = heartbeat;
      }
    }
  }
  return out;
}

absl::StatusOr<LeaseSpec> LeaseSpecFromJson(const Json& lease) {
  const Json& spec = Child(lease, "spec");
  LeaseSpec out{.holder = String(spec, "holderIdentity"),
                .duration = absl::Seconds(spec.value("leaseDurationSeconds", 0)),
                .transitions = spec.value("leaseTransitions", 0),
                .raw_renew_time = String(spec, "renewTime")};
  NP_ASSIGN_OR_RETURN(out.acquire_time, TimeAt(spec, "acquireTime"));
  NP_ASSIGN_OR_RETURN(out.renew_time, TimeAt(spec, "renewTime"));
  return out;
}

Json LeaseWithSpec(Json lease, const std::string& ns, const std::string& name,
                   const LeaseSpec& spec) {
  lease["apiVersion"] = "coordination.k8s.io/v1";
  lease["kind"] = "Lease";
  Json& metadata = lease["metadata"];
  if (!metadata.is_object()) {
    metadata = Json::object();
  }
  metadata["name"] = name;
  metadata["namespace"] = ns;
  lease["spec"] = Json{{"holderIdentity", spec.holder},
                       {"leaseDurationSeconds", absl::ToInt64Seconds(spec.duration)},
                       {"acquireTime", FormatMicroTime(spec.acquire_time)},
                       {"renewTime", FormatMicroTime(spec.renew_time)},
                       {"leaseTransitions", spec.transitions}};
  return lease;
}

}  // namespace nanoplane::controller::kube_resources
