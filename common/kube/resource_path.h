#pragma once

// REST paths of the Kubernetes API, so that callers do not paste strings:
//   {.resource = "namespaces"}                        /api/v1/namespaces
//   {.group = "nanoplane.dev", .version = "v1alpha1", .resource = "unikernels",
//    .namespace_name = "default", .name = "web", .subresource = "status"}
//     /apis/nanoplane.dev/v1alpha1/namespaces/default/unikernels/web/status
// An empty namespace is a cluster-scoped resource, or a list across all
// namespaces. Thread-safety: pure.

#include <string>

namespace nanoplane::kube {

struct ResourceRef {
  std::string group;  // "" for the core group (/api/v1)
  std::string version = "v1";
  std::string resource;  // plural, lower case: "unikernels", "configmaps"
  std::string namespace_name;
  std::string name;
  std::string subresource;  // "status", "scale"
};

std::string ResourcePath(const ResourceRef& ref);

}  // namespace nanoplane::kube
