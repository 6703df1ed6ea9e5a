#pragma once

// The use cases that need the agents as well as the Store: the fleet's hosts
// (the registry joined with what each connected agent said) and an
// instance's console log (streamed from its agent).
//
// Thread-safe; the ports must be too, and must outlive this object.
//
// Status codes: what the Store and the AgentHub return; NotFound for a
// Unikernel without instances, or without the instance asked for.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controller/ports/agent_hub.h"
#include "controller/ports/store.h"

namespace nanoplane::controller::application {

struct HostView {
  std::string name;
  std::string state;        // "Ready" | "NotReady", as the reconciler sees it
  std::string accelerator;  // "KVM" | "TCG" | ""
  int32_t cpus = 0;
  int64_t memory_bytes = 0;
  int32_t instances = 0;
  std::map<std::string, std::string> labels;
  bool connected = false;
  absl::Time connected_at = absl::InfinitePast();  // InfinitePast: never
  absl::Time last_seen = absl::InfinitePast();
  std::string agent_version;
};

struct LogsQuery {
  ports::ObjectKey key;
  std::string instance;  // empty: the first by name
  int64_t offset = 0;    // negative: from the end
  bool follow = false;
};

class FleetUseCases {
 public:
  FleetUseCases(ports::Store& store, ports::AgentHub& hub);

  // Sorted by name.
  [[nodiscard]] absl::StatusOr<std::vector<HostView>> Hosts();

  // Calls `located` once with the instance and its host, then `sink` with the
  // log's chunks until it returns false or the log ends (unless following).
  [[nodiscard]] absl::Status Logs(
      const LogsQuery& query,
      const std::function<bool(const std::string& instance, const std::string& host)>& located,
      const std::function<bool(std::string_view chunk)>& sink);

 private:
  ports::Store& store_;
  ports::AgentHub& hub_;
};

}  // namespace nanoplane::controller::application
