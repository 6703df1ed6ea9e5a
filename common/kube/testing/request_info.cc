#include "common/strings.h"
#include "common/kube/testing/request_info.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace nanoplane::kube::testing {

bool QueryBool(const std::string& value) {
  return value == "1" || value == "true" || value == "True" || value == "TRUE" || value == "t";
}

RequestInfo ParseRequestInfo(const std::string& method, const std::string& path, bool watch,
                             const ResourceRegistry& registry) {
  RequestInfo info;
  info.path = path;
  info.verb = absl::AsciiStrToLower(method);
  std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  size_t i = 0;
  if (parts.size() >= 2 && parts[0] == "api") {
    info.version = parts[1];
    i = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    info.group = parts[1];
    info.version = parts[2];
    i = 3;
  } else {
    return info;
  }
  if (i >= parts.size()) {
    return info;  // discovery of a group version
  }
  info.resource_request = true;
  std::vector<std::string> rest(parts.begin() + i, parts.end());
  // /namespaces/{ns}/{resource}...: unless {resource} is a subresource of the
  // namespace itself (status, finalize).
  if (rest.size() >= 3 && rest[0] == "namespaces" && rest[2] != "status" && rest[2] != "finalize") {
    info.ns = rest[1];
    rest.erase(rest.begin(), rest.begin() + 2);
  } else if (rest[0] == "namespaces" && rest.size() >= 2) {
    info.ns = rest[1];  // the namespace object: RequestInfo names it as its own namespace
  }
  info.resource = rest[0];
  if (rest.size() >= 2) {
    info.name = rest[1];
  }
  if (rest.size() >= 3) {
    info.subresource = rest[2];
  }
  (void)registry;
  const bool collection = info.name.empty();
  if (method == "GET" || method == "HEAD") {
    info.verb = watch ? "watch" : (collection ? "list" : "get");
  } else if (method == "POST") {
    info.verb = "create";
  } else if (method == "PUT") {
    info.verb = "update";
  } else if (method == "PATCH") {
    info.verb = "patch";
  } else if (method == "DELETE") {
    info.verb = collection ? "deletecollection" : "delete";
  }
  return info;
}

}  // namespace nanoplane::kube::testing
