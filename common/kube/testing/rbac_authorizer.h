#pragma once

// Authorization as the real server's RBAC authorizer decides it, over the
// rbac.authorization.k8s.io/v1 objects in the store (Roles, ClusterRoles,
// RoleBindings, ClusterRoleBindings). Members of system:masters are always
// allowed (the real server's privileged group). Built in, as the real
// server's bootstrap policy grants them to every authenticated user:
// discovery paths (system:discovery, system:public-info-viewer) and
// creating SelfSubjectAccessReviews (system:basic-user).
//
// Not done, as in a real cluster without kube-controller-manager: aggregated
// ClusterRoles (aggregationRule) are not filled in, so they grant nothing.

#include <string>
#include <vector>

#include "common/json.h"
#include "common/kube/testing/object_store.h"
#include "common/kube/testing/request_info.h"

namespace nanoplane::kube::testing {

struct UserInfo {
  std::string name;
  std::vector<std::string> groups;
  bool operator==(const UserInfo&) const = default;
};

struct Decision {
  bool allowed = false;
  std::string reason;  // "RBAC: clusterrole.rbac.authorization.k8s.io \"x\" not found", or ""
};

// Pure: whether `rules` (a Role's or ClusterRole's .rules) allow the request.
bool RulesAllow(const Json& rules, const RequestInfo& request);

// Reads the RBAC objects from `store` (taking its lock).
Decision AuthorizeRbac(const ObjectStore& store, const UserInfo& user, const RequestInfo& request);

// `User "u" cannot list resource "unikernels" in API group "nanoplane.dev" in
// the namespace "default"` (responsewriters.forbiddenMessage).
std::string ForbiddenMessage(const UserInfo& user, const RequestInfo& request);

}  // namespace nanoplane::kube::testing
