#pragma once

// FakeAgentHub: the AgentHub port in memory, for the app's tests, driven from
// the agents' side by SimulatedAgent (a SimulatedHost behind a thread that
// says hello, applies assignments and reports, as an agent's link would).
//
// Like GrpcAgentHub: Assign keeps the host's newest set and generation (greater
// than any before); Hosts() lists every host that said hello since the hub
// (re)started; the change callback runs after hello, report and disconnect,
// outside the hub's lock. Restart() forgets sessions and assignments, as a new
// controller process's hub would; the agents then say hello again.
//
// Thread-safe.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "controller/app/simulated_host.h"
#include "controller/ports/agent_hub.h"

namespace nanoplane::controller::app::testing {

class FakeAgentHub : public ports::AgentHub {
 public:
  FakeAgentHub() = default;

  // ports::AgentHub
  int64_t Assign(const std::string& host, std::vector<ports::SharedAssignment> instances) override;
  std::vector<ports::HostSession> Hosts() const override;
  std::shared_ptr<const ports::SessionList> SharedHosts() const override;
  void SetOnChange(std::function<void(const std::string& host)> on_change) override;
  absl::Status StreamLogs(const std::string& host, const std::string& instance, int64_t offset,
                          bool follow,
                          const std::function<bool(std::string_view chunk)>& sink) override;

  // The agents' side.
  void Hello(const agent::v1::Hello& hello);
  void Report(const std::string& host, const agent::v1::Report& report);
  void Disconnect(const std::string& host);
  bool Connected(const std::string& host) const;
  // The host's newest assignment; nullopt when it was never assigned.
  std::optional<agent::v1::Assignment> AssignmentFor(const std::string& host) const;
  // The generation of the host's newest assignment (0: none), without copying it.
  int64_t AssignedGeneration(const std::string& host) const;
  int AssignCalls() const;

  // A new controller process: no sessions, no assignments.
  void Restart();

 private:
  void Notify(const std::string& host);
  int64_t AssignedGenerationLocked(const std::string& host) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  mutable absl::Mutex mutex_;
  // Copy-on-write, so that SharedHosts hands out unchanged sessions as they are.
  std::map<std::string, std::shared_ptr<const ports::HostSession>> sessions_
      ABSL_GUARDED_BY(mutex_);
  // SharedHosts() as last built; reset whenever a session changes.
  mutable std::shared_ptr<const ports::SessionList> listed_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, ports::HostAssignment> assignments_ ABSL_GUARDED_BY(mutex_);
  int64_t next_generation_ ABSL_GUARDED_BY(mutex_) = 1;
  int assign_calls_ ABSL_GUARDED_BY(mutex_) = 0;
  std::function<void(const std::string&)> on_change_ ABSL_GUARDED_BY(mutex_);
};

// An agent for FakeAgentHub: every `tick` it (re)connects with a hello when
// the hub does not know it as connected, applies the newest assignment, moves
// its simulated VMs on, and reports on change (and every `heartbeat`).
//
// kCaller agents have no thread: the caller runs their rounds with Step(), so
// a benchmark can drive a thousand of them from one thread.
class SimulatedAgent {
 public:
  enum class Drive { kOwnThread, kCaller };

  SimulatedAgent(FakeAgentHub& hub, SimulatedHostOptions options,
                 absl::Duration tick = absl::Milliseconds(10),
                 absl::Duration heartbeat = absl::Milliseconds(200),
                 Drive drive = Drive::kOwnThread);
  ~SimulatedAgent();

  // Down: the agent disconnects and stays silent; its VMs keep running.
  void SetDown(bool down);
  SimulatedHost& host() { return host_; }
  // One round: hello if needed, apply, tick, report.
  // REQUIRES: Drive::kCaller, and one caller at a time.
  void Step();

 private:
  void Run();

  FakeAgentHub& hub_;
  SimulatedHost host_;
  const absl::Duration tick_;
  const absl::Duration heartbeat_;
  absl::Time last_report_ = absl::InfinitePast();
  std::atomic<bool> down_{false};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace nanoplane::controller::app::testing
