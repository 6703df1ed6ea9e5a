#pragma once

// The AgentHub port: the controller's side of the agent protocol
// (proto/nanoplane/agent/v1/agent.proto). It holds each host's desired
// assignment and its agent's latest hello and report; it never decides.
//
// Contract
// - Assign replaces a host's whole desired set and gives it a new generation,
//   greater than any before, across controller restarts too. It is sent at once
//   when the host is connected, and again on every reconnect. A host that was
//   never assigned is sent nothing: a restarted controller must not tell agents
//   to stop what they run before it has rebuilt its view.
// - Hosts() is a snapshot: every host that ever said hello since the hub
//   started, connected or not, with its last hello and full report.
// - The change callback runs on a hub thread after a host says hello, reports
//   or disconnects; it must not block for long.
// - Thread-safe.
//
// Status codes
//   NotFound      StreamLogs for a host that is not connected
//   Unavailable   the host went away during StreamLogs
//   (the agent's own errors, e.g. an unknown instance, come back as sent)

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "nanoplane/agent/v1/agent.pb.h"

namespace nanoplane::controller::ports {

// A new field must be copied in CopyOnWriteWithInstances too.
struct HostSession {
  std::string host;
  // The last one (labels, capacity, accelerator, versions), without its
  // instances: those are `instances` until the next report.
  agent::v1::Hello hello;
  std::vector<agent::v1::InstanceReport> instances;  // the last full report
  bool connected = false;
  absl::Time connected_at;
  absl::Time last_seen;             // last message from the agent
  int64_t applied_generation = 0;   // the assignment the agent says it applied
  int64_t assigned_generation = 0;  // the newest assignment held for it; 0: none
};

// One instance of a host's desired set, in shared, immutable parts: its
// identity, and its revision's template, which every instance of the revision
// shares. The controller's table, the hub's copy for reconnects and every send
// hold these objects rather than copies: a host's set is sent again on every
// change to it, and a template per instance would be most of the memory of a
// fleet's assignments.
struct SharedAssignment {
  std::shared_ptr<const agent::v1::InstanceIdentity> identity;
  std::shared_ptr<const v1alpha1::UnikernelTemplate> tmpl;  // null: not known (adopted)

  // The wire message (copies both).
  agent::v1::InstanceAssignment ToProto() const {
    agent::v1::InstanceAssignment out;
    *out.mutable_identity() = *identity;
    if (tmpl != nullptr) {
      *out.mutable_template_() = *tmpl;
    }
    return out;
  }
};

// A host's desired set as a hub holds it.
struct HostAssignment {
  int64_t generation = 0;
  std::vector<SharedAssignment> instances;

  // The wire message.
  agent::v1::Assignment ToProto() const {
    agent::v1::Assignment out;
    out.set_generation(generation);
    out.mutable_instances()->Reserve(static_cast<int>(instances.size()));
    for (const SharedAssignment& instance : instances) {
      *out.add_instances() = instance.ToProto();
    }
    return out;
  }
};

using SessionList = std::vector<std::shared_ptr<const HostSession>>;

class AgentHub {
 public:
  virtual ~AgentHub() = default;

  // Sets the host's desired instances; returns the assignment's generation.
  virtual int64_t Assign(const std::string& host, std::vector<SharedAssignment> instances) = 0;

  virtual std::vector<HostSession> Hosts() const = 0;

  // Hosts() without copying every report, for callers that measure the fleet
  // on every pass: a session that has not changed since an earlier call is
  // the same object, so what a caller derived from it stays valid. Only
  // assigned_generation may lag behind Assign until the host's next message:
  // refreshing it would copy the host's session on every Assign. The default
  // wraps a copy of Hosts().
  // The list itself is shared too, and is the same object until a session
  // changes, so that a caller can tell "nothing changed" by one comparison.
  virtual std::shared_ptr<const SessionList> SharedHosts() const {
    auto out = std::make_shared<SessionList>();
    for (HostSession& session : Hosts()) {
      out->push_back(std::make_shared<const HostSession>(std::move(session)));
    }
    return out;
  }

  virtual void SetOnChange(std::function<void(const std::string& host)> on_change) = 0;

  // Streams `instance`'s console log on `host` from byte `offset` (negative:
  // from the end) to `sink`, until `sink` returns false, the log ends (unless
  // `follow`), or the host goes away.
  [[nodiscard]] virtual absl::Status StreamLogs(
      const std::string& host, const std::string& instance, int64_t offset, bool follow,
      const std::function<bool(std::string_view chunk)>& sink) = 0;
};

// For hubs that keep their sessions copy-on-write (see SharedHosts): replaces
// `slot` with a copy of its session (or a new one) and returns it to change.
inline HostSession& CopyOnWrite(std::shared_ptr<const HostSession>& slot) {
  auto next =
      slot == nullptr ? std::make_shared<HostSession>() : std::make_shared<HostSession>(*slot);
  slot = next;
  return *next;
}

// The same for a change that replaces every instance report: those of the old
// session are not copied only to be thrown away (a report is a host's whole
// list, on every report).
template <typename Reports>
HostSession& CopyOnWriteWithInstances(std::shared_ptr<const HostSession>& slot,
                                      const Reports& instances) {
  auto next = std::make_shared<HostSession>();
  if (slot != nullptr) {
    const HostSession& old = *slot;
    next->host = old.host;
    next->hello = old.hello;
    next->connected = old.connected;
    next->connected_at = old.connected_at;
    next->last_seen = old.last_seen;
    next->applied_generation = old.applied_generation;
    next->assigned_generation = old.assigned_generation;
  }
  next->instances.assign(instances.begin(), instances.end());
  slot = next;
  return *next;
}

}  // namespace nanoplane::controller::ports
