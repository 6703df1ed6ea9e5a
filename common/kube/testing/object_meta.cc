#include "common/kube/testing/object_meta.h"

#include <random>
#include <regex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/strings.h"

namespace nanoplane::kube::testing {
namespace {

std::mt19937_64& Rng() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

const Json& Meta(const Json& object) {
  static const Json kEmpty = Json::object();
  return object.is_object() && object.contains("metadata") && object["metadata"].is_object()
             ? object["metadata"]
             : kEmpty;
}

std::string Str(const Json& object, const char* key) {
  return object.contains(key) && object[key].is_string() ? object[key].get<std::string>() : "";
}

}  // namespace

std::string NewUid() {
  uint64_t a = Rng()(), b = Rng()();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 1
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", a >> 32, (a >> 16) & 0xffff, a & 0xffff,
                         b >> 48, b & 0xffffffffffffULL);
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string Rfc3339Micro(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

std::string GenerateName(const std::string& prefix) {
  static const char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string name = prefix;
  for (int i = 0; i < 5; ++i) {
    name.push_back(kAlphabet[Rng()() % (sizeof kAlphabet - 1)]);
  }
  return name;
}

std::vector<FieldCause> ValidateName(const ResourceInfo& resource, const Json& object) {
  static const std::regex kSubdomain(
      "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  static const std::regex kLabel("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  std::string name = Str(Meta(object), "name");
  if (name.empty()) {
    return {Required("metadata.name", "name or generateName is required")};
  }
  bool label = resource.resource == "namespaces";
  // Events carry names like "web.17a3f2c1"; every resource here takes a subdomain.
  if (label ? (name.size() > 63 || !std::regex_match(name, kLabel))
            : (name.size() > 253 || !std::regex_match(name, kSubdomain))) {
    std::string detail =
        label ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
                "'-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
                "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
              : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                "characters, '-' or '.', and must start and end with an alphanumeric character "
                "(e.g. 'example.com', regex used for validation is "
                "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    return {InvalidValue("metadata.name", name, detail)};
  }
  return {};
}

void KeepImmutableMeta(const Json& old, Json& object) {
  const Json& old_meta = Meta(old);
  Json& meta = object["metadata"];
  if (Str(meta, "uid").empty() && old_meta.contains("uid")) {
    meta["uid"] = old_meta["uid"];
  }
  for (const char* field : {"creationTimestamp", "deletionTimestamp", "generation"}) {
    if (old_meta.contains(field)) {
      meta[field] = old_meta[field];
    } else {
      meta.erase(field);
    }
  }
  if (old_meta.contains("deletionGracePeriodSeconds") &&
      !meta.contains("deletionGracePeriodSeconds")) {
    meta["deletionGracePeriodSeconds"] = old_meta["deletionGracePeriodSeconds"];
  }
  meta.erase("selfLink");
}

std::vector<FieldCause> ValidateMetaUpdate(const Json& old, const Json& object) {
  std::vector<FieldCause> causes;
  const Json& old_meta = Meta(old);
  const Json& meta = Meta(object);
  if (Str(meta, "namespace") != Str(old_meta, "namespace")) {
    causes.push_back(
        InvalidValue("metadata.namespace", Str(meta, "namespace"), "field is immutable"));
  }
  if (Str(meta, "uid") != Str(old_meta, "uid")) {
    causes.push_back(InvalidValue("metadata.uid", Str(meta, "uid"), "field is immutable"));
  }
  if (BeingDeleted(old)) {
    std::vector<std::string> before = FinalizersOf(old);
    std::vector<std::string> added;
    for (const std::string& f : FinalizersOf(object)) {
      if (std::find(before.begin(), before.end(), f) == before.end()) {
        added.push_back(StrCat("\"", f, "\""));
      }
    }
    if (!added.empty()) {
      causes.push_back(ForbiddenField(
          "metadata.finalizers",
          StrCat("no new finalizers can be added if the object is being deleted, found new "
                 "finalizers []string{",
                 StrJoin(added, ", "), "}")));
    }
  }
  return causes;
}

bool SpecChanged(const Json& old, const Json& object, bool ignore_status) {
  auto strip = [ignore_status](Json j) {
    j.erase("metadata");
    if (ignore_status) {
      j.erase("status");
    }
    // apiVersion differs between served versions of one object.
    j.erase("apiVersion");
    return j;
  };
  return !SameObject(strip(old), strip(object));
}

bool SameObject(const Json& a, const Json& b) {
  return nlohmann::json::parse(a.dump()) == nlohmann::json::parse(b.dump());
}

StringMap LabelsOf(const Json& object) {
  StringMap labels;
  const Json& meta = Meta(object);
  if (meta.contains("labels") && meta["labels"].is_object()) {
    for (auto it = meta["labels"].begin(); it != meta["labels"].end(); ++it) {
      if (it.value().is_string()) {
        labels[it.key()] = it.value().get<std::string>();
      }
    }
  }
  return labels;
}

StringMap SelectableFields(const ResourceInfo& resource, const Json& object) {
  StringMap fields;
  fields["metadata.name"] = Str(Meta(object), "name");
  if (resource.namespaced) {
    fields["metadata.namespace"] = Str(Meta(object), "namespace");
  }
  if (resource.resource == "events") {
    // Stored as core/v1 events, whatever form was asked for.
    const Json& involved = object.value("involvedObject", Json::object());
    for (const char* f :
         {"kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"}) {
      fields[StrCat("involvedObject.", f)] = Str(involved, f);
    }
    fields["reason"] = Str(object, "reason");
    fields["type"] = Str(object, "type");
    fields["reportingComponent"] = Str(object, "reportingComponent");
    fields["source"] = Str(object.value("source", Json::object()), "component");
  } else if (resource.resource == "secrets") {
    fields["type"] = Str(object, "type");
  } else if (resource.resource == "namespaces") {
    fields["status.phase"] = Str(object.value("status", Json::object()), "phase");
  }
  return fields;
}

std::vector<std::string> FinalizersOf(const Json& object) {
  std::vector<std::string> out;
  const Json& meta = Meta(object);
  if (meta.contains("finalizers") && meta["finalizers"].is_array()) {
    for (const Json& f : meta["finalizers"]) {
      if (f.is_string()) {
        out.push_back(f.get<std::string>());
      }
    }
  }
  return out;
}

bool BeingDeleted(const Json& object) {
  const Json& meta = Meta(object);
  return meta.contains("deletionTimestamp") && !meta["deletionTimestamp"].is_null();
}

}  // namespace nanoplane::kube::testing
