#include "common/strings.h"
#include "common/kube/testing/discovery.h"

#include <set>

#include "absl/strings/str_cat.h"

namespace nanoplane::kube::testing {
namespace {

Json GroupVersionEntry(const ResourceInfo& r) {
  return {{"groupVersion", r.ApiVersion()}, {"version", r.version}};
}

Json GroupEntry(const std::vector<ResourceInfo>& resources, const std::string& group) {
  Json versions = Json::array();
  std::set<std::string> seen;
  for (const ResourceInfo& r : resources) {
    if (r.group == group && seen.insert(r.version).second) {
      versions.push_back(GroupVersionEntry(r));
    }
  }
  return {{"name", group}, {"versions", versions}, {"preferredVersion", versions[0]}};
}

Json ResourceEntry(const ResourceInfo& r) {
  Json e = {{"name", r.resource}, {"singularName", r.singular}, {"namespaced", r.namespaced},
            {"kind", r.kind}, {"verbs", r.verbs}};
  if (!r.short_names.empty()) {
    e["shortNames"] = r.short_names;
  }
  if (!r.categories.empty()) {
    e["categories"] = r.categories;
  }
  return e;
}

Json SubresourceEntry(const ResourceInfo& r, const std::string& sub) {
  Json e = {{"name", r.resource + "/" + sub}, {"singularName", ""}, {"namespaced", r.namespaced}};
  if (sub == "scale") {
    e["group"] = "autoscaling";
    e["version"] = "v1";
    e["kind"] = "Scale";
  } else {
    e["kind"] = r.kind;
  }
  e["verbs"] = Json::array({"get", "patch", "update"});
  return e;
}

}  // namespace

Json VersionInfo() {
  return {{"major", "1"},           {"minor", "23"},
          {"gitVersion", "v1.23.0"}, {"gitCommit", "e5f3f020084e16d045a02a9e118064e9aa0d7754"},
          {"gitTreeState", "clean"}, {"buildDate", "2021-12-07T18:16:20Z"},
          {"goVersion", "go1.17.3"}, {"compiler", "gc"},
          {"platform", "linux/amd64"}};
}

Json CoreVersions(const std::string& server_address) {
  return {{"kind", "APIVersions"},
          {"versions", Json::array({"v1"})},
          {"serverAddressByClientCIDRs",
           Json::array({{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}})}};
}

Json GroupList(const std::vector<ResourceInfo>& resources) {
  Json groups = Json::array();
  std::set<std::string> seen;
  for (const ResourceInfo& r : resources) {
    if (!r.group.empty() && seen.insert(r.group).second) {
      groups.push_back(GroupEntry(resources, r.group));
    }
  }
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
}

std::optional<Json> Group(const std::vector<ResourceInfo>& resources, const std::string& group) {
  for (const ResourceInfo& r : resources) {
    if (r.group == group) {
      Json g = GroupEntry(resources, group);
      return Json{{"kind", "APIGroup"}, {"apiVersion", "v1"}, {"name", group},
                  {"versions", g["versions"]}, {"preferredVersion", g["preferredVersion"]}};
    }
  }
  return std::nullopt;
}

std::optional<Json> ResourceList(const std::vector<ResourceInfo>& resources,
                                 const std::string& group, const std::string& version) {
  Json list = Json::array();
  bool found = false;
  for (const ResourceInfo& r : resources) {
    if (r.group != group || r.version != version) {
      continue;
    }
    found = true;
    list.push_back(ResourceEntry(r));
    if (r.status_subresource || (r.group.empty() && r.resource == "namespaces")) {
      list.push_back(SubresourceEntry(r, "status"));
    }
    if (r.scale.has_value()) {
      list.push_back(SubresourceEntry(r, "scale"));
    }
  }
  if (!found) {
    return std::nullopt;
  }
  Json doc = {{"kind", "APIResourceList"}};
  if (!group.empty()) {
    doc["apiVersion"] = "v1";
  }
  doc["groupVersion"] = group.empty() ? version : group + "/" + version;
  doc["resources"] = list;
  return doc;
}

std::string HumanDuration(absl::Duration d) {
  int64_t seconds = absl::ToInt64Seconds(d);
  if (seconds < -1) {
    return "<invalid>";
  }
  if (seconds < 0) {
    return "0s";
  }
  if (seconds < 120) {
    return StrCat(seconds, "s");
  }
  int64_t minutes = seconds / 60;
  if (minutes < 10) {
    return seconds % 60 == 0 ? StrCat(minutes, "m")
                             : StrCat(minutes, "m", seconds % 60, "s");
  }
  if (minutes < 180) {
    return StrCat(minutes, "m");
  }
  int64_t hours = minutes / 60;
  if (hours < 8) {
    return minutes % 60 == 0 ? StrCat(hours, "h") : StrCat(hours, "h", minutes % 60, "m");
  }
  if (hours < 48) {
    return StrCat(hours, "h");
  }
  if (hours < 24 * 8) {
    return hours % 24 == 0 ? StrCat(hours / 24, "d")
                           : StrCat(hours / 24, "d", hours % 24, "h");
  }
  if (hours < 24 * 365 * 2) {
    return StrCat(hours / 24, "d");
  }
  if (hours < 24 * 365 * 8) {
    int64_t days = (hours / 24) % 365;
    return days == 0 ? StrCat(hours / 24 / 365, "y")
                     : StrCat(hours / 24 / 365, "y", days, "d");
  }
  return StrCat(hours / 24 / 365, "y");
}

}  // namespace nanoplane::kube::testing
