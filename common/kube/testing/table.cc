// meta.k8s.io/v1 Tables, as apiextensions' tableconvertor and the core
// printers make them (only the columns kubectl shows for our resources).

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/strings.h"
#include "common/kube/testing/discovery.h"

namespace nanoplane::kube::testing {
namespace {

constexpr char kNameDescription[] =
    "Name must be unique within a namespace. Is required when creating resources, although "
    "some resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated. More info: "
    "http://kubernetes.io/docs/user-guide/identifiers#names";

Json Column(const std::string& name, const std::string& type, const std::string& format,
            const std::string& description, int priority = 0) {
  return {{"name", name}, {"type", type}, {"format", format}, {"description", description},
          {"priority", priority}};
}

// One step "[?(@.type=="Ready")]" of a JSONPath.
Json Filter(const Json& array, const std::string& expr) {
  // expr: @.key=="value"
  size_t eq = expr.find("==");
  if (!array.is_array() || eq == std::string::npos || expr.rfind("@.", 0) != 0) {
    return nullptr;
  }
  std::string key = expr.substr(2, eq - 2);
  std::string value = expr.substr(eq + 2);
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'')) {
    value = value.substr(1, value.size() - 2);
  }
  for (const Json& item : array) {
    if (item.is_object() && item.contains(key) && item[key].is_string() &&
        item[key].get<std::string>() == value) {
      return item;
    }
  }
  return nullptr;
}

absl::Time ParseTime(const Json& value) {
  absl::Time t = absl::InfinitePast();
  std::string err;
  if (value.is_string()) {
    absl::ParseTime(absl::RFC3339_full, value.get<std::string>(), &t, &err);
  }
  return t;
}

Json Cell(const std::string& type, const Json& value, absl::Time now) {
  if (value.is_null()) {
    return nullptr;
  }
  if (type == "date") {
    absl::Time t = ParseTime(value);
    return t == absl::InfinitePast() ? Json("<invalid>") : Json(HumanDuration(now - t));
  }
  if (type == "integer") {
    return value.is_number() ? Json(value.get<int64_t>()) : Json(nullptr);
  }
  if (type == "number") {
    return value.is_number() ? Json(value.get<double>()) : Json(nullptr);
  }
  if (type == "boolean") {
    return value.is_boolean() ? value : Json(nullptr);
  }
  return value.is_string() ? value : Json(value.dump());
}

std::string EventObject(const Json& event) {
  const Json& o = event.value("involvedObject", Json::object());
  std::string kind = o.value("kind", "");
  for (char& c : kind) {
    c = static_cast<char>(std::tolower(c));
  }
  return StrCat(kind, "/", o.value("name", ""));
}

}  // namespace

Json EvalJsonPath(const Json& object, const std::string& path) {
  Json at = object;
  std::string rest = path;
  if (!rest.empty() && rest.front() == '{' && rest.back() == '}') {
    rest = rest.substr(1, rest.size() - 2);
  }
  size_t i = 0;
  while (i < rest.size()) {
    if (rest[i] == '.') {
      size_t end = rest.find_first_of(".[", i + 1);
      std::string key = rest.substr(i + 1, end == std::string::npos ? std::string::npos : end - i - 1);
      if (!at.is_object() || !at.contains(key)) {
        return nullptr;
      }
      at = at[key];
      i = end == std::string::npos ? rest.size() : end;
    } else if (rest[i] == '[') {
      size_t end = rest.find(']', i);
      if (end == std::string::npos) {
        return nullptr;
      }
      std::string inside = rest.substr(i + 1, end - i - 1);
      if (inside.rfind("?(", 0) == 0 && inside.back() == ')') {
        at = Filter(at, inside.substr(2, inside.size() - 3));
      } else {
        size_t index = std::stoul(inside.empty() ? "0" : inside);
        at = at.is_array() && index < at.size() ? at[index] : Json(nullptr);
      }
      if (at.is_null()) {
        return nullptr;
      }
      i = end + 1;
    } else {
      return nullptr;
    }
  }
  return at;
}

Json ToTable(const ResourceInfo& resource, const std::vector<Json>& objects,
             const Json& list_meta, const std::string& include_object, bool headers,
             absl::Time now) {
  Json columns = Json::array({Column("Name", "string", "name", kNameDescription)});
  std::vector<std::pair<std::string, std::string>> paths;  // (type, jsonPath)
  bool core_events = resource.resource == "events" && resource.group.empty();
  if (core_events) {
    columns = Json::array({Column("Last Seen", "string", "", "Time since the event was last seen"),
                           Column("Type", "string", "", "Type of this event"),
                           Column("Reason", "string", "", "Reason of this event"),
                           Column("Object", "string", "", "The object this event is about"),
                           Column("Message", "string", "", "Message of this event")});
  } else if (resource.custom && !resource.printer_columns.empty()) {
    for (const Json& c : resource.printer_columns) {
      columns.push_back(Column(c.value("name", ""), c.value("type", "string"), c.value("format", ""),
                               c.value("description", ""), c.value("priority", 0)));
      paths.emplace_back(c.value("type", "string"), c.value("jsonPath", ""));
    }
  } else {
    columns.push_back(Column(resource.custom ? "Age" : "Created At", "date", "",
                             "CreationTimestamp is a timestamp representing the server time when "
                             "this object was created."));
    paths.emplace_back("date", ".metadata.creationTimestamp");
  }
  Json rows = Json::array();
  for (const Json& object : objects) {
    Json cells = Json::array();
    if (core_events) {
      Json last = object.value("lastTimestamp", Json());
      if (last.is_null()) {
        last = object.value("eventTime", Json());
      }
      cells = {Cell("date", last, now), object.value("type", ""), object.value("reason", ""),
               EventObject(object), object.value("message", "")};
    } else {
      cells.push_back(object["metadata"].value("name", ""));
      for (const auto& [type, path] : paths) {
        cells.push_back(Cell(type, EvalJsonPath(object, path), now));
      }
    }
    Json row = {{"cells", cells}};
    if (include_object == "Object") {
      row["object"] = object;
    } else if (include_object != "None") {
      row["object"] = {{"kind", "PartialObjectMetadata"}, {"apiVersion", "meta.k8s.io/v1"},
                       {"metadata", object["metadata"]}};
    }
    rows.push_back(row);
  }
  Json table = {{"kind", "Table"}, {"apiVersion", "meta.k8s.io/v1"}, {"metadata", list_meta}};
  if (headers) {
    table["columnDefinitions"] = columns;
  }
  table["rows"] = rows;
  return table;
}

}  // namespace nanoplane::kube::testing
