#include "common/strings.h"
#include "common/kube/testing/structural_schema.h"

#include <algorithm>
#include <map>
#include <regex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace nanoplane::kube::testing {
namespace {

bool Flag(const Json& schema, const char* name) {
  return schema.is_object() && schema.contains(name) && schema[name].is_boolean() &&
         schema[name].get<bool>();
}

std::string Child(const std::string& path, const std::string& name) {
  return path.empty() ? name : StrCat(path, ".", name);
}

const Json* PropertySchema(const Json& schema, const std::string& name) {
  if (schema.contains("properties") && schema["properties"].contains(name)) {
    return &schema["properties"][name];
  }
  if (schema.contains("additionalProperties") && schema["additionalProperties"].is_object()) {
    return &schema["additionalProperties"];
  }
  return nullptr;
}

// ObjectMeta's fields: the real server drops any other field of metadata
// (schemaobjectmeta.Coerce), whatever the schema says.
void PruneMetadata(Json& meta) {
  static const char* kFields[] = {"name", "generateName", "namespace", "selfLink", "uid",
                                  "resourceVersion", "generation", "creationTimestamp",
                                  "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
                                  "annotations", "ownerReferences", "finalizers", "clusterName",
                                  "managedFields"};
  if (!meta.is_object()) {
    return;
  }
  for (auto it = meta.begin(); it != meta.end();) {
    bool known = std::any_of(std::begin(kFields), std::end(kFields),
                             [&](const char* f) { return it.key() == f; });
    it = known ? std::next(it) : meta.erase(it);
  }
}

void PruneNode(Json& value, const Json& schema, bool root) {
  if (!schema.is_object()) {
    return;
  }
  if (value.is_object()) {
    bool preserve = Flag(schema, "x-kubernetes-preserve-unknown-fields") ||
                    (schema.contains("additionalProperties") &&
                     schema["additionalProperties"].is_boolean() &&
                     schema["additionalProperties"].get<bool>());
    bool embedded = Flag(schema, "x-kubernetes-embedded-resource");
    for (auto it = value.begin(); it != value.end();) {
      const std::string key = it.key();
      if ((root || embedded) && (key == "apiVersion" || key == "kind" || key == "metadata")) {
        if (key == "metadata") {
          PruneMetadata(it.value());
        }
        ++it;
        continue;
      }
      const Json* child = PropertySchema(schema, key);
      if (child == nullptr) {
        it = preserve ? std::next(it) : value.erase(it);
        continue;
      }
      if (it.value().is_null() && !Flag(*child, "nullable")) {
        it = value.erase(it);
        continue;
      }
      PruneNode(it.value(), *child, false);
      ++it;
    }
  } else if (value.is_array() && schema.contains("items")) {
    for (Json& item : value) {
      PruneNode(item, schema["items"], false);
    }
  }
}

std::string TypeName(const Json& v) {
  if (v.is_string()) {
    return "string";
  }
  if (v.is_boolean()) {
    return "boolean";
  }
  if (v.is_number_integer() || v.is_number_unsigned()) {
    return "integer";
  }
  if (v.is_number()) {
    return "number";
  }
  if (v.is_array()) {
    return "array";
  }
  if (v.is_object()) {
    return "object";
  }
  return "null";
}

bool TypeMatches(const Json& v, const std::string& type, const Json& schema) {
  if (Flag(schema, "x-kubernetes-int-or-string")) {
    return v.is_string() || v.is_number_integer() || v.is_number_unsigned();
  }
  if (type.empty()) {
    return true;
  }
  if (type == "number") {
    return v.is_number();
  }
  if (type == "integer") {
    // JSON has no integers: 2.0 is one, as Go's decoder sees it.
    return v.is_number_integer() || v.is_number_unsigned() ||
           (v.is_number_float() && v.get<double>() == static_cast<double>(v.get<int64_t>()));
  }
  return TypeName(v) == type;
}

std::string Display(const std::string& path) { return path.empty() ? "body" : path; }

void ValidateNumber(const Json& v, const Json& schema, const std::string& path,
                    std::vector<FieldCause>& out) {
  if (!v.is_number()) {
    return;
  }
  double x = v.get<double>();
  auto bound = [&](const char* key, const char* excl, bool lower) {
    if (!schema.contains(key)) {
      return;
    }
    double b = schema[key].get<double>();
    bool exclusive = Flag(schema, excl);
    bool bad = lower ? (exclusive ? x <= b : x < b) : (exclusive ? x >= b : x > b);
    if (bad) {
      out.push_back(InvalidValue(
          path, v,
          StrCat(Display(path), " in body should be ", lower ? "greater than " : "less than ",
                       exclusive ? "" : "or equal to ", schema[key].dump())));
    }
  };
  bound("minimum", "exclusiveMinimum", true);
  bound("maximum", "exclusiveMaximum", false);
}

void ValidateString(const Json& v, const Json& schema, const std::string& path,
                    std::vector<FieldCause>& out) {
  if (!v.is_string()) {
    return;
  }
  const std::string s = v.get<std::string>();
  if (schema.contains("minLength") && s.size() < schema["minLength"].get<size_t>()) {
    out.push_back(InvalidValue(path, v, StrCat(Display(path), " in body should be at least ",
                                                     schema["minLength"].dump(), " chars long")));
  }
  if (schema.contains("maxLength") && s.size() > schema["maxLength"].get<size_t>()) {
    out.push_back(InvalidValue(path, v, StrCat(Display(path), " in body should be at most ",
                                                     schema["maxLength"].dump(), " chars long")));
  }
  if (schema.contains("pattern")) {
    std::string pattern = schema["pattern"].get<std::string>();
    try {
      // Compiling a std::regex costs far more than matching: keep each one.
      static thread_local std::map<std::string, std::regex> compiled;
      auto it = compiled.find(pattern);
      if (it == compiled.end()) {
        it = compiled.emplace(pattern, std::regex(pattern)).first;
      }
      if (!std::regex_search(s, it->second)) {
        out.push_back(InvalidValue(
            path, v, StrCat(Display(path), " in body should match '", pattern, "'")));
      }
    } catch (const std::regex_error&) {
      // RE2 syntax std::regex cannot read: the fake does not check it.
    }
  }
}

void ValidateNode(const Json& v, const Json& schema, const std::string& path,
                  std::vector<FieldCause>& out) {
  if (!schema.is_object()) {
    return;
  }
  if (v.is_null()) {
    return;  // nulls of non-nullable fields were pruned before validation
  }
  const std::string type = schema.value("type", "");
  if (!TypeMatches(v, type, schema)) {
    out.push_back({.type = "FieldValueInvalid",  // what the real server reports
                   .field = path,
                   .message = StrCat("Invalid value: \"", TypeName(v), "\": ", Display(path),
                                           " in body must be of type ", type, ": \"",
                                           TypeName(v), "\"")});
    return;
  }
  if (schema.contains("enum") && schema["enum"].is_array()) {
    bool found = false;
    std::vector<std::string> allowed;
    for (const Json& e : schema["enum"]) {
      found = found || e == v;
      allowed.push_back(e.dump());
    }
    if (!found) {
      out.push_back({.type = "FieldValueNotSupported",
                     .field = path,
                     .message = StrCat("Unsupported value: ", v.dump(), ": supported values: ",
                                             StrJoin(allowed, ", "))});
    }
  }
  ValidateNumber(v, schema, path, out);
  ValidateString(v, schema, path, out);
  if (v.is_array()) {
    if (schema.contains("minItems") && v.size() < schema["minItems"].get<size_t>()) {
      out.push_back(InvalidValue(path, v, StrCat(Display(path), " in body should have at least ",
                                                       schema["minItems"].dump(), " items")));
    }
    if (schema.contains("maxItems") && v.size() > schema["maxItems"].get<size_t>()) {
      out.push_back(InvalidValue(path, v, StrCat(Display(path), " in body should have at most ",
                                                       schema["maxItems"].dump(), " items")));
    }
    if (schema.contains("items")) {
      for (size_t i = 0; i < v.size(); ++i) {
        ValidateNode(v[i], schema["items"], StrCat(path, "[", i, "]"), out);
      }
    }
  }
  if (v.is_object()) {
    if (schema.contains("required")) {
      for (const Json& r : schema["required"]) {
        if (!v.contains(r.get<std::string>())) {
          out.push_back(Required(Child(path, r.get<std::string>()), ""));
        }
      }
    }
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (path.empty() && it.key() == "metadata") {
        continue;
      }
      if (const Json* child = PropertySchema(schema, it.key())) {
        ValidateNode(it.value(), *child, Child(path, it.key()), out);
      }
    }
  }
}

}  // namespace

void Prune(Json& object, const Json& schema) { PruneNode(object, schema, true); }

void ApplyDefaults(Json& object, const Json& schema) {
  if (!schema.is_object()) {
    return;
  }
  if (object.is_object() && schema.contains("properties")) {
    for (auto it = schema["properties"].begin(); it != schema["properties"].end(); ++it) {
      if (!object.contains(it.key()) && it.value().contains("default")) {
        object[it.key()] = it.value()["default"];
      }
    }
    for (auto it = object.begin(); it != object.end(); ++it) {
      if (const Json* child = PropertySchema(schema, it.key())) {
        ApplyDefaults(it.value(), *child);
      }
    }
  } else if (object.is_object() && schema.contains("additionalProperties")) {
    for (auto it = object.begin(); it != object.end(); ++it) {
      ApplyDefaults(it.value(), schema["additionalProperties"]);
    }
  } else if (object.is_array() && schema.contains("items")) {
    for (Json& item : object) {
      ApplyDefaults(item, schema["items"]);
    }
  }
}

std::vector<FieldCause> Validate(const Json& object, const Json& schema) {
  std::vector<FieldCause> out;
  ValidateNode(object, schema, "", out);
  return out;
}

}  // namespace nanoplane::kube::testing
