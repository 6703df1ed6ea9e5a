#pragma once

// LibvirtVmDriver: the VM driver over libvirt with QEMU (KVM or TCG).
//
// A domain is nanoplane's when its <metadata> holds the nanoplane element
// (domain_metadata.h); it is this driver's when, moreover, its instance
// directory lies in this driver's state directory, so that agents sharing a
// host (each with its own state directory) never see each other's domains.
// All others are invisible to this driver and never touched. Per instance the
// driver keeps STATE_DIR/NAME/ (the qcow2 overlay over the base image) and a
// console log (default STATE_DIR/logs/NAME.log) that Delete keeps unless asked.
// Host ports and paths are recorded in the metadata, so a new driver object
// (after an agent restart) adopts running domains, including their port
// allocations.
//
// Thread-safe. One libvirt connection, reopened when it dies (calls during
// the outage return Unavailable). Watch callbacks run on a dispatcher thread.
// Needs qemu:///system as root: QEMU runs as libvirt's QEMU user, so the
// state directory must be traversable by it (the driver creates it 0755).

#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "agent/adapters/host_port_allocator.h"
#include "agent/adapters/libvirt_events.h"
#include "agent/adapters/libvirt_handle.h"
#include "agent/ports/vm_driver.h"

namespace nanoplane::agent {

struct DomainMetadata;

class LibvirtVmDriver final : public VmDriver {
 public:
  struct Options {
    std::string uri = "qemu:///system";
    std::string state_dir = "/var/lib/nanoplane/vms";
    std::string qemu_binary = "/usr/bin/qemu-system-x86_64";
    std::string qemu_img = "qemu-img";
    // Run QEMU through the exit-status wrapper (exit_status.h); without it
    // guest exit codes are not reported.
    bool exit_status_wrapper = true;
    std::string domain_log_dir = "/var/log/libvirt/qemu";  // libvirt's per-domain logs
    std::string pid_dir = "/run/libvirt/qemu";             // QEMU pid files: start times
    // Shared by drivers in one process; null: the driver makes its own over
    // 30000-32767.
    std::shared_ptr<HostPortAllocator> ports;
  };

  // Connects and reserves the host ports of existing nanoplane domains.
  // Unavailable when libvirt cannot be reached.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<LibvirtVmDriver>> Open(Options options);
  ~LibvirtVmDriver() override;

  // ports::VmDriver
  [[nodiscard]] absl::StatusOr<VmInfo> Create(const VmSpec& spec) override;
  [[nodiscard]] absl::Status Stop(std::string_view name, absl::Duration timeout) override;
  [[nodiscard]] absl::Status Destroy(std::string_view name) override;
  [[nodiscard]] absl::Status Delete(std::string_view name, const DeleteOptions& options) override;
  [[nodiscard]] absl::StatusOr<std::vector<VmInfo>> List() override;
  [[nodiscard]] absl::StatusOr<VmInfo> Get(std::string_view name) override;
  [[nodiscard]] absl::Status Watch(VmEventCallback callback) override;

 private:
  explicit LibvirtVmDriver(Options options);

  // The live connection, reopened (and events resubscribed) when it died.
  [[nodiscard]] absl::StatusOr<ConnectHandle> Connection();
  // Our domain named `name`: NotFound when absent or not nanoplane's.
  [[nodiscard]] absl::StatusOr<std::pair<DomainHandle, DomainMetadata>> Lookup(
      std::string_view name);
  [[nodiscard]] absl::StatusOr<VmInfo> Describe(virDomainPtr domain, const DomainMetadata& md);
  [[nodiscard]] absl::Status ReservePorts(const std::vector<PortBinding>& ports);
  void ReleasePorts(const std::vector<PortBinding>& ports);
  [[nodiscard]] absl::StatusOr<std::vector<PortBinding>> AllocatePorts(const VmSpec& spec);
  [[nodiscard]] absl::StatusOr<std::string> PrepareExisting(const VmSpec& spec);
  [[nodiscard]] absl::StatusOr<std::string> PrepareDisk(const VmSpec& spec, const std::string& dir);
  [[nodiscard]] absl::Status DefineAndStart(const VmSpec& spec, const std::string& xml);
  std::optional<VmEvent> Resolve(const RawDomainEvent& raw);
  void Remember(const std::string& name, bool ours);
  // The domain's instance directory is STATE_DIR/NAME of this driver.
  bool InStateDir(const DomainMetadata& md) const;

  const Options options_;
  const std::shared_ptr<HostPortAllocator> ports_;
  const std::filesystem::path state_root_;  // options_.state_dir, canonical
  std::string emulator_;                    // the wrapper's path, or empty
  absl::Mutex mu_;
  ConnectHandle conn_ ABSL_GUARDED_BY(mu_);
  VmEventCallback watcher_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> known_ ABSL_GUARDED_BY(mu_);  // our domains seen, for undefine events
  std::unique_ptr<LibvirtEventStream> events_;        // declared last: stopped first
};

}  // namespace nanoplane::agent
