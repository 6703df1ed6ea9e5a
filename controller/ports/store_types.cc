#include "controller/ports/store_types.h"

#include "common/strings.h"

namespace nanoplane::controller::ports {

std::string ToString(const ObjectKey& key) { return StrCat(key.ns, "/", key.name); }

const char* WatchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded:
      return "ADDED";
    case WatchEventType::kModified:
      return "MODIFIED";
    case WatchEventType::kDeleted:
      return "DELETED";
  }
  return "UNKNOWN";
}

const char* HostStateName(HostState state) {
  return state == HostState::kReady ? "Ready" : "NotReady";
}

}  // namespace nanoplane::controller::ports
