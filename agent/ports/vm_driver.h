#pragma once

// The VM driver port: how the agent runs an instance as a virtual machine.
//
// Contract
// - A VM is named by its instance name (a DNS label, unique on the host). The
//   driver marks every VM it creates with the instance's identity, so that a new
//   driver object (after an agent restart) finds and adopts the VMs it left
//   running. VMs the driver did not create are never listed, stopped or removed;
//   to the driver they do not exist (NotFound).
// - Each VM gets its own copy-on-write disk over `VmSpec::base_image` and a
//   serial console log that outlives the VM (Delete keeps it unless asked).
// - User-mode networking forwards each guest port from a host port on
//   `UserNetwork::host_address`; the driver allocates the host ports (unless the
//   spec names one) without collisions and reports them in VmInfo.
// - Operations are idempotent where that makes sense: Stop and Destroy of a VM
//   that is not running succeed; Delete of an unknown VM returns NotFound.
// - Implementations are thread-safe. The watch callback runs on a driver thread,
//   never inside a driver call, so it may call back into the driver.
//
// Status codes
//   NotFound            no VM of that name (or not one of ours)
//   AlreadyExists       Create of a VM that is running
//   InvalidArgument     a malformed spec (bad name, no memory, missing kernel)
//   ResourceExhausted   no free host port
//   Unavailable         the hypervisor cannot be reached; retry
//   Internal            the hypervisor failed the operation

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/instance_state.h"

namespace nanoplane::agent {

// Who a VM is; stored with the VM so that it survives agent restarts.
struct InstanceIdentity {
  std::string name;  // the instance name, also the VM's name
  std::string namespace_name;
  std::string unikernel;
  std::string uid;
  int64_t revision = 0;
  std::string spec_hash;
  bool operator==(const InstanceIdentity&) const = default;
};

enum class Accelerator { kKvm, kTcg };
enum class Protocol { kTcp, kUdp };

// Direct kernel boot (Nanos: kernel.img plus the image disk; the Linux test
// guest: a kernel and an initramfs, no disk).
struct KernelBoot {
  std::string kernel_path;
  std::string initrd_path;  // empty: none
  std::string cmdline;
  bool operator==(const KernelBoot&) const = default;
};

// Firmware (SeaBIOS) boots from the disk's boot sector.
struct BiosBoot {
  bool operator==(const BiosBoot&) const = default;
};

using BootSource = std::variant<BiosBoot, KernelBoot>;

struct PortForward {
  std::string name;  // optional, for reports
  int guest_port = 0;
  Protocol protocol = Protocol::kTcp;
  int host_port = 0;  // 0: the driver allocates one
  bool operator==(const PortForward&) const = default;
};

// QEMU user-mode networking; the guest reaches nothing but its forwards.
struct UserNetwork {
  std::string host_address = "127.0.0.1";
  std::vector<PortForward> forwards;
  bool operator==(const UserNetwork&) const = default;
};

// A NIC on an existing Linux bridge or libvirt network (exactly one is set).
struct BridgeNetwork {
  std::string bridge;
  std::string network;
  bool operator==(const BridgeNetwork&) const = default;
};

using NetworkSpec = std::variant<UserNetwork, BridgeNetwork>;

struct VmSpec {
  InstanceIdentity identity;
  int64_t memory_bytes = 0;
  int vcpus = 1;
  BootSource boot;
  std::string base_image;   // a raw disk image; empty: no disk
  std::string console_log;  // empty: the driver picks a path
  NetworkSpec network;
  Accelerator accelerator = Accelerator::kTcg;
  // Adds QEMU's isa-debug-exit device (port 0x501): the guest's exit code
  // becomes QEMU's exit status, (code << 1) | 1 (Nanos's `debug_exit`).
  bool debug_exit = false;
  bool operator==(const VmSpec&) const = default;
};

// A VM's state and how it last stopped: common/'s, shared with the agent core.
using ::nanoplane::StopReason;
using ::nanoplane::VmState;

struct PortBinding {
  PortForward forward;  // with host_port set
  std::string host_address;
  bool operator==(const PortBinding&) const = default;
};

struct VmInfo {
  InstanceIdentity identity;
  VmState state = VmState::kShutOff;
  StopReason stop_reason = StopReason::kNone;
  std::optional<int> exit_code;  // with kExited
  std::vector<PortBinding> ports;
  std::string address;                   // the guest's address when known (bridged networking)
  std::optional<absl::Time> started_at;  // while running
  Accelerator accelerator = Accelerator::kTcg;
  std::string console_log;
  bool operator==(const VmInfo&) const = default;
};

enum class VmEventType { kDefined, kUndefined, kStarted, kStopped, kSuspended, kResumed, kCrashed };

// A lifecycle change. Events are hints for a prompt resync: they can be lost
// (hypervisor restarts), so state comes from List/Get, never from events alone.
struct VmEvent {
  std::string name;
  VmEventType type = VmEventType::kStopped;
  StopReason stop_reason = StopReason::kNone;  // with kStopped
  std::optional<int> exit_code;                // with kStopped and kExited
  bool operator==(const VmEvent&) const = default;
};

using VmEventCallback = std::function<void(const VmEvent&)>;

struct DeleteOptions {
  bool remove_console_log = false;
};

class VmDriver {
 public:
  virtual ~VmDriver() = default;

  // Defines the VM (redefining a stopped one of the same name) and starts it.
  // Returns its info with the host ports it got.
  // REQUIRES: spec.identity.name is a DNS label.
  [[nodiscard]] virtual absl::StatusOr<VmInfo> Create(const VmSpec& spec) = 0;

  // Asks the guest to shut down (ACPI power button) and destroys the VM when it
  // is still running after `timeout`.
  [[nodiscard]] virtual absl::Status Stop(std::string_view name, absl::Duration timeout) = 0;

  // Stops the VM at once, like pulling the power cord.
  [[nodiscard]] virtual absl::Status Destroy(std::string_view name) = 0;

  // Destroys the VM if it runs, undefines it and removes its disk and state.
  [[nodiscard]] virtual absl::Status Delete(std::string_view name,
                                            const DeleteOptions& options) = 0;

  // Every VM this driver manages, running or not, sorted by name.
  [[nodiscard]] virtual absl::StatusOr<std::vector<VmInfo>> List() = 0;

  [[nodiscard]] virtual absl::StatusOr<VmInfo> Get(std::string_view name) = 0;

  // Registers the one lifecycle-event callback (a second call replaces it).
  [[nodiscard]] virtual absl::Status Watch(VmEventCallback callback) = 0;
};

// True for a DNS label: 1-63 of [a-z0-9-], starting and ending alphanumeric.
inline bool IsValidVmName(std::string_view name) {
  if (name.empty() || name.size() > 63 || name.front() == '-' || name.back() == '-') {
    return false;
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
  }
  return true;
}

std::string_view ToString(Accelerator accelerator);
std::string_view ToString(VmEventType type);

inline std::string_view ToString(Accelerator accelerator) {
  return accelerator == Accelerator::kKvm ? "kvm" : "tcg";
}

inline std::string_view ToString(VmEventType type) {
  switch (type) {
    case VmEventType::kDefined:
      return "defined";
    case VmEventType::kUndefined:
      return "undefined";
    case VmEventType::kStarted:
      return "started";
    case VmEventType::kStopped:
      return "stopped";
    case VmEventType::kSuspended:
      return "suspended";
    case VmEventType::kResumed:
      return "resumed";
    case VmEventType::kCrashed:
      return "crashed";
  }
  return "unknown";
}

}  // namespace nanoplane::agent
