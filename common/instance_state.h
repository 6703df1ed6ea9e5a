#pragma once

// The states an instance and its VM go through, as the controller, the agent,
// their drivers and the CLI all speak of them: defined once here, each with its
// one name function. Plain enums, no protobuf, so both cores may use them; the
// API's v1alpha1::InstancePhase is their wire form, converted at the edges
// (common/instance_state_proto.h).

#include <ostream>

namespace nanoplane {

enum class InstancePhase {
  kPending,  // assigned, not reported yet or waiting for something outside the agent
  kBuilding,
  kStarting,  // booting, or running before its readiness probe first passed
  kRunning,
  kSucceeded,
  kFailed,
  kBackOff,  // exited; the agent restarts it when its back-off ends
  kTerminating,
  kUnknown,  // its host is NotReady (the controller's word; an agent never reports it)
};

// A VM's state as the hypervisor reports it.
enum class VmState { kRunning, kPaused, kShutOff, kCrashed };

// How a VM last stopped.
enum class StopReason {
  kNone,       // never stopped (running, or defined and never started)
  kShutdown,   // the guest powered off (also after an ACPI shutdown request)
  kExited,     // the guest exited through isa-debug-exit; see its exit code
  kCrashed,    // the guest panicked or QEMU died
  kDestroyed,  // stopped by force (Destroy, or Stop after its timeout)
  kFailed,     // QEMU failed to start
  kUnknown,
};

// The API's spellings (the json_value of v1alpha1::InstancePhase): "Running", "BackOff".
const char* PhaseName(InstancePhase phase);
// libvirt's words: "running", "shut off".
const char* VmStateName(VmState state);
// "exited", "destroyed".
const char* StopReasonName(StopReason reason);

// gtest printer.
void PrintTo(InstancePhase phase, std::ostream* os);

}  // namespace nanoplane
