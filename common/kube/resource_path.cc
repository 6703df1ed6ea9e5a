#include "common/kube/resource_path.h"

#include "common/strings.h"

namespace nanoplane::kube {

std::string ResourcePath(const ResourceRef& ref) {
  std::string path = ref.group.empty() ? StrCat("/api/", ref.version)
                                       : StrCat("/apis/", ref.group, "/", ref.version);
  if (!ref.namespace_name.empty()) {
    StrAppend(&path, "/namespaces/", ref.namespace_name);
  }
  StrAppend(&path, "/", ref.resource);
  if (!ref.name.empty()) {
    StrAppend(&path, "/", ref.name);
    if (!ref.subresource.empty()) {
      StrAppend(&path, "/", ref.subresource);
    }
  }
  return path;
}

}  // namespace nanoplane::kube
