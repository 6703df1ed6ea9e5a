#pragma once

// What a request path names, as the real server's RequestInfoFactory reads
// it: a resource request (group, version, namespace, resource, name,
// subresource, verb) or a non-resource path. Pure.

#include <string>

#include "common/kube/testing/resources.h"

namespace nanoplane::kube::testing {

struct RequestInfo {
  bool resource_request = false;
  std::string path;
  std::string verb;  // get list watch create update patch delete deletecollection (or the HTTP verb)
  std::string group;
  std::string version;
  std::string ns;
  std::string resource;
  std::string name;
  std::string subresource;
};

// `watch` is the ?watch= query ("1"/"true" make a GET a watch).
RequestInfo ParseRequestInfo(const std::string& method, const std::string& path, bool watch,
                             const ResourceRegistry& registry);

// "watch=1", "watch=true": the parameter as the real server reads a bool.
bool QueryBool(const std::string& value);

}  // namespace nanoplane::kube::testing
