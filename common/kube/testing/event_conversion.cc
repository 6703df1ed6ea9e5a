#include "common/strings.h"
#include "common/kube/testing/event_conversion.h"

#include <utility>

namespace nanoplane::kube::testing {
namespace {

// (events.k8s.io/v1 name, core/v1 name), for fields that only change name.
const std::vector<std::pair<const char*, const char*>> kRenames = {
    {"regarding", "involvedObject"},
    {"note", "message"},
    {"reportingController", "reportingComponent"},
    {"deprecatedSource", "source"},
    {"deprecatedFirstTimestamp", "firstTimestamp"},
    {"deprecatedLastTimestamp", "lastTimestamp"},
    {"deprecatedCount", "count"},
};

const std::vector<const char*> kSame = {"metadata", "eventTime", "series", "related", "action",
                                        "reason",   "type",      "reportingInstance"};

Json Rename(const Json& in, const char* api_version, bool to_core) {
  Json out = {{"kind", "Event"}, {"apiVersion", api_version}};
  for (const char* f : kSame) {
    if (in.contains(f)) {
      out[f] = in[f];
    }
  }
  for (const auto& [v1, core] : kRenames) {
    const char* from = to_core ? v1 : core;
    const char* to = to_core ? core : v1;
    if (in.contains(from)) {
      out[to] = in[from];
    }
  }
  return out;
}

bool Empty(const Json& event, const char* field) {
  return !event.contains(field) || event[field].is_null() ||
         (event[field].is_string() && event[field].get<std::string>().empty());
}

}  // namespace

Json EventsV1ToCore(const Json& event) { return Rename(event, "v1", true); }

Json CoreToEventsV1(const Json& event) {
  Json out = Rename(event, "events.k8s.io/v1", false);
  for (const char* f : {"deprecatedFirstTimestamp", "deprecatedLastTimestamp", "eventTime"}) {
    if (!out.contains(f)) {
      out[f] = nullptr;
    }
  }
  if (!out.contains("deprecatedSource")) {
    out["deprecatedSource"] = Json::object();
  }
  if (out.contains("deprecatedCount") && out["deprecatedCount"] == 0) {
    out.erase("deprecatedCount");
  }
  return out;
}

Json NormalizeCoreEvent(Json event) {
  for (const char* f : {"firstTimestamp", "lastTimestamp", "eventTime"}) {
    if (!event.contains(f)) {
      event[f] = nullptr;
    }
  }
  if (!event.contains("source")) {
    event["source"] = Json::object();
  }
  if (!event.contains("involvedObject")) {
    event["involvedObject"] = Json::object();
  }
  for (const char* f : {"reportingComponent", "reportingInstance"}) {
    if (!event.contains(f)) {
      event[f] = "";
    }
  }
  return event;
}

std::vector<FieldCause> ValidateEventsV1(const Json& event) {
  std::vector<FieldCause> causes;
  if (Empty(event, "eventTime")) {
    causes.push_back(Required("eventTime", ""));
  }
  if (event.value("series", Json()).is_object() &&
      event["series"].value("count", 0) < 2) {
    causes.push_back(InvalidValue("series.count", event["series"].value("count", 0),
                                  "should be at least 2"));
  }
  for (const char* f : {"reportingController", "reportingInstance", "action", "reason"}) {
    if (Empty(event, f)) {
      causes.push_back(Required(f, ""));
    }
  }
  std::string type = event.value("type", "");
  if (type != "Normal" && type != "Warning") {
    causes.push_back({.type = "FieldValueNotSupported",
                      .field = "type",
                      .message = "Unsupported value: " + Json(type).dump() +
                                 ": supported values: \"Normal\", \"Warning\""});
  }
  if (event.value("note", "").size() > 1024) {
    causes.push_back({.type = "FieldValueTooLong",
                      .field = "note",
                      .message = "Too long: must have at most 1024 bytes"});
  }
  return causes;
}

std::vector<FieldCause> ValidateCoreEvent(const Json& event) {
  std::vector<FieldCause> causes;
  std::string ns = event.value("/metadata/namespace"_json_pointer, std::string());
  std::string involved = event.value("/involvedObject/namespace"_json_pointer, std::string());
  if (!involved.empty() && involved != ns) {
    causes.push_back(InvalidValue("involvedObject.namespace", involved,
                                  "does not match event.namespace"));
  }
  return causes;
}

}  // namespace nanoplane::kube::testing
