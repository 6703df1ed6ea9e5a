#pragma once

// The agent core's value types: plain snapshots that the app measures (the
// assignment, the VMs, builds), the per-instance runtime state the app keeps
// between rounds, and the reports the core computes. No behaviour, no I/O; they
// compare with == so tests can write them with designated initializers.
//
// These mirror, but do not include, the VM driver port's and the agent
// protocol's types: the app converts at the edge, so the core stays free of
// protobuf and of the port (STYLE.md §1). The phase, VM state and stop reason
// enums are common/'s, shared with the port and the controller.

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent/core/probe.h"
#include "common/instance_state.h"

namespace nanoplane::agent::core {

using ::nanoplane::InstancePhase;
using ::nanoplane::StopReason;
using ::nanoplane::VmState;

// Who an instance is; the VM carries it in its metadata.
struct InstanceIdentity {
  std::string name;  // unique fleet-wide; also the VM's name
  std::string ns;    // the Unikernel's namespace
  std::string unikernel;
  std::string uid;  // the Unikernel's uid
  int64_t revision = 0;
  std::string spec_hash;  // hash of the template the instance runs
  bool operator==(const InstanceIdentity&) const = default;
};

enum class RestartPolicy { kAlways, kOnFailure, kNever };

// One instance the host should run, reduced to what the decisions read.
struct DesiredInstance {
  InstanceIdentity identity;
  RestartPolicy restart_policy = RestartPolicy::kAlways;
  std::optional<ProbeSpec> readiness;
  std::optional<ProbeSpec> liveness;
  // The built image's cache key; empty while the image for
  // identity.spec_hash is not built.
  std::string image_key;
  bool operator==(const DesiredInstance&) const = default;
};

// The host's desired set. Generation 0 means the agent has not received (or
// loaded) any assignment since it started: it then stops nothing.
struct Assignment {
  int64_t generation = 0;
  std::vector<DesiredInstance> instances;
  bool operator==(const Assignment&) const = default;
};

// A VM as the app listed it. `identity` is nullopt when the VM's metadata does
// not mark it as nanoplane's: such a VM is never touched or reported.
struct ObservedVm {
  std::string name;
  std::optional<InstanceIdentity> identity;
  VmState state = VmState::kShutOff;
  StopReason stop_reason = StopReason::kNone;
  std::optional<int32_t> exit_code;
  std::optional<absl::Time> started_at;  // while running
  bool operator==(const ObservedVm&) const = default;
};

// A build that failed for a spec hash. retry_at nullopt: terminal until the
// spec changes (the builder said FailedPrecondition/InvalidArgument).
struct BuildFailure {
  std::string message;
  std::optional<absl::Time> retry_at;
  bool operator==(const BuildFailure&) const = default;
};

// Work the app is doing while the core decides.
struct Activity {
  std::set<std::string> builds_in_flight;             // spec hashes
  std::map<std::string, BuildFailure> failed_builds;  // by spec hash
  // Instances with an action executing: the core emits nothing for them.
  std::set<std::string> busy_instances;
  bool operator==(const Activity&) const = default;
};

// What the agent remembers about one instance between rounds. The app keeps
// the map DecideLocal returns and feeds probe results into it; losing it (an
// agent restart) only resets counters and probe state, never kills a VM.
struct InstanceRuntime {
  int32_t restarts = 0;
  // The back-off delay applied to the last restart; zero when none or reset.
  absl::Duration backoff = absl::ZeroDuration();
  // Set when the core first saw the current run ended; cleared by a restart.
  std::optional<absl::Time> exited_at;
  std::optional<absl::Time> restart_at;  // with exited_at, when restarting
  bool killed_by_liveness = false;       // the current run was stopped for it
  // The start time of the run being watched (its probes belong to it).
  std::optional<absl::Time> run_started_at;
  std::optional<absl::Time> undesired_since;  // first seen not assigned
  // The controller took it out of this host's assignment: it goes at once.
  // The grace period is for VMs the agent finds without knowing why they are
  // there (after a restart, before the controller has spoken).
  bool released = false;
  ProbeState readiness = ProbeState::Initial(ProbeKind::kReadiness);
  ProbeState liveness = ProbeState::Initial(ProbeKind::kLiveness);
  bool operator==(const InstanceRuntime&) const = default;
};

using RuntimeStates = std::map<std::string, InstanceRuntime>;  // by instance name

// One instance as the agent reports it (the protocol's InstanceReport, less
// what the app adds from the driver: address and ports).
struct InstanceReport {
  InstanceIdentity identity;
  InstancePhase phase = InstancePhase::kPending;
  bool ready = false;
  int32_t restarts = 0;
  std::optional<int32_t> exit_code;
  std::string message;
  // Set while the instance cannot start until its assignment changes (the
  // controller reports it as Degraded and does not replace it).
  std::string reason;
  std::optional<absl::Time> started_at;
  std::optional<absl::Time> ready_since;
  bool operator==(const InstanceReport&) const = default;
};

const char* RestartPolicyName(RestartPolicy policy);

void PrintTo(const InstanceIdentity& identity, std::ostream* os);
void PrintTo(const InstanceReport& report, std::ostream* os);
void PrintTo(const InstanceRuntime& runtime, std::ostream* os);
void PrintTo(const ObservedVm& vm, std::ostream* os);

}  // namespace nanoplane::agent::core
