#include "common/strings.h"
#include "common/kube/testing/rbac_authorizer.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace nanoplane::kube::testing {
namespace {

const char kRbac[] = "rbac.authorization.k8s.io/";

bool Has(const Json& list, const std::string& value) {
  if (!list.is_array()) {
    return false;
  }
  return std::any_of(list.begin(), list.end(), [&](const Json& v) {
    return v.is_string() && (v.get<std::string>() == "*" || v.get<std::string>() == value);
  });
}

bool ResourceMatches(const Json& rule, const RequestInfo& r) {
  const Json resources = rule.value("resources", Json::array());
  std::string combined = r.subresource.empty() ? r.resource : r.resource + "/" + r.subresource;
  for (const Json& v : resources) {
    std::string s = v.is_string() ? v.get<std::string>() : "";
    if (s == "*" || s == combined ||
        (!r.subresource.empty() && s == "*/" + r.subresource)) {
      return true;
    }
  }
  return false;
}

bool RuleAllows(const Json& rule, const RequestInfo& r) {
  if (!Has(rule.value("verbs", Json::array()), r.verb)) {
    return false;
  }
  if (!r.resource_request) {
    for (const Json& v : rule.value("nonResourceURLs", Json::array())) {
      std::string url = v.is_string() ? v.get<std::string>() : "";
      if (url == "*" || url == r.path ||
          (absl::EndsWith(url, "*") && absl::StartsWith(r.path, url.substr(0, url.size() - 1)))) {
        return true;
      }
    }
    return false;
  }
  if (!Has(rule.value("apiGroups", Json::array()), r.group) || !ResourceMatches(rule, r)) {
    return false;
  }
  const Json names = rule.value("resourceNames", Json::array());
  return names.empty() || Has(names, r.name);
}

bool SubjectMatches(const Json& subject, const UserInfo& user, const std::string& binding_ns) {
  std::string kind = subject.value("kind", "");
  std::string name = subject.value("name", "");
  if (kind == "User") {
    return name == user.name;
  }
  if (kind == "Group") {
    return std::find(user.groups.begin(), user.groups.end(), name) != user.groups.end();
  }
  if (kind == "ServiceAccount") {
    std::string ns = subject.value("namespace", binding_ns);
    return user.name == StrCat("system:serviceaccount:", ns, ":", name);
  }
  return false;
}

bool BoundTo(const Json& binding, const UserInfo& user) {
  std::string ns = binding.value("/metadata/namespace"_json_pointer, std::string());
  for (const Json& s : binding.value("subjects", Json::array())) {
    if (SubjectMatches(s, user, ns)) {
      return true;
    }
  }
  return false;
}

bool BuiltinAllows(const RequestInfo& r) {
  if (!r.resource_request) {
    for (const char* prefix : {"/api", "/apis", "/version", "/openapi", "/healthz", "/livez",
                               "/readyz"}) {
      if (r.verb == "get" && (r.path == prefix || absl::StartsWith(r.path, StrCat(prefix, "/")))) {
        return true;
      }
    }
    return false;
  }
  return r.verb == "create" && r.group == "authorization.k8s.io" &&
         (r.resource == "selfsubjectaccessreviews" || r.resource == "selfsubjectrulesreviews");
}

}  // namespace

bool RulesAllow(const Json& rules, const RequestInfo& request) {
  if (!rules.is_array()) {
    return false;
  }
  return std::any_of(rules.begin(), rules.end(),
                     [&](const Json& rule) { return RuleAllows(rule, request); });
}

Decision AuthorizeRbac(const ObjectStore& store, const UserInfo& user, const RequestInfo& request) {
  if (std::find(user.groups.begin(), user.groups.end(), "system:masters") != user.groups.end() ||
      BuiltinAllows(request)) {
    return {.allowed = true};
  }
  auto lock = store.Lock();
  std::vector<std::string> missing;
  auto role_rules = [&](const Json& ref, const std::string& ns) -> Json {
    std::string kind = ref.value("kind", "");
    std::string name = ref.value("name", "");
    bool cluster = kind == "ClusterRole";
    auto role = store.GetLocked({StrCat(kRbac, cluster ? "clusterroles" : "roles"),
                                 cluster ? "" : ns, name});
    if (!role.has_value()) {
      missing.push_back(StrCat(cluster ? "clusterrole" : "role",
                                     ".rbac.authorization.k8s.io \"", name, "\" not found"));
      return Json::array();
    }
    return role->value("rules", Json::array());
  };
  for (const Json& b : store.ListLocked(StrCat(kRbac, "clusterrolebindings"), "")) {
    if (BoundTo(b, user) && RulesAllow(role_rules(b.value("roleRef", Json::object()), ""), request)) {
      return {.allowed = true};
    }
  }
  if (request.resource_request && !request.ns.empty()) {
    for (const Json& b : store.ListLocked(StrCat(kRbac, "rolebindings"), request.ns)) {
      if (BoundTo(b, user) &&
          RulesAllow(role_rules(b.value("roleRef", Json::object()), request.ns), request)) {
        return {.allowed = true};
      }
    }
  }
  Decision denied;
  if (!missing.empty()) {
    denied.reason = "RBAC: " + missing.front();
    if (missing.size() > 1) {
      denied.reason = "RBAC: [";
      for (size_t i = 0; i < missing.size(); ++i) {
        StrAppend(&denied.reason, i ? ", " : "", missing[i]);
      }
      StrAppend(&denied.reason, "]");
    }
  }
  return denied;
}

std::string ForbiddenMessage(const UserInfo& user, const RequestInfo& r) {
  if (!r.resource_request) {
    return StrCat("User \"", user.name, "\" cannot ", r.verb, " path \"", r.path, "\"");
  }
  std::string resource = r.subresource.empty() ? r.resource : r.resource + "/" + r.subresource;
  std::string head = StrCat("User \"", user.name, "\" cannot ", r.verb, " resource \"",
                                  resource, "\" in API group \"", r.group, "\"");
  if (!r.ns.empty()) {
    return StrCat(head, " in the namespace \"", r.ns, "\"");
  }
  return StrCat(head, " at the cluster scope");
}

}  // namespace nanoplane::kube::testing
