#pragma once

// SimulatedVmDriver: FakeVmDriver made fit for a running agent process, for
// tests and scale runs with many agents on one machine (`nanoplane-agent
// --driver simulated`).
//
// What it adds to the fake:
// - Simulated VMs outlive the process, as libvirt's do: the set is written to
//   STATE_DIR/simulated-vms.tsv (a temp file renamed over it) after every
//   change and read back by Open, so an agent killed with -9 and restarted
//   adopts its instances. The rename makes each write atomic against kill -9
//   of the process (not against power loss: no fsync, nothing real is lost).
// - Real time: a VM's started_at is when Create ran.
// - Events reach the watcher on a driver thread, never inside a driver call.
// - A boot time: Booted(port) is what a readiness probe of the VM's forwarded
//   port would see, true once the VM has run for `boot_time`. Instances
//   without a readiness probe are ready as soon as Create returns, as with
//   any driver.
// A VM restored as not running comes back shut off (destroyed); the
// simulation has no guest that exits or crashes on its own.
// Thread-safe.

#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "agent/testing/fake_vm_driver.h"

namespace nanoplane::agent::testing {

struct SimulatedVmDriverOptions {
  std::string state_dir;  // created if missing
  absl::Duration boot_time = absl::Milliseconds(100);
};

class SimulatedVmDriver final : public VmDriver {
 public:
  // Restores the VMs saved in the state dir. DataLoss when the file does not
  // parse; Internal when the state dir cannot be created.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SimulatedVmDriver>> Open(
      SimulatedVmDriverOptions options);
  ~SimulatedVmDriver() override;  // the VMs stay in the state file

  // ports::VmDriver
  [[nodiscard]] absl::StatusOr<VmInfo> Create(const VmSpec& spec) override;
  [[nodiscard]] absl::Status Stop(std::string_view name, absl::Duration timeout) override;
  [[nodiscard]] absl::Status Destroy(std::string_view name) override;
  [[nodiscard]] absl::Status Delete(std::string_view name, const DeleteOptions& options) override;
  [[nodiscard]] absl::StatusOr<std::vector<VmInfo>> List() override;
  [[nodiscard]] absl::StatusOr<VmInfo> Get(std::string_view name) override;
  [[nodiscard]] absl::Status Watch(VmEventCallback callback) override;

  // True when a running VM forwards `host_port` and has run for the boot time.
  bool Booted(int host_port);

 private:
  explicit SimulatedVmDriver(SimulatedVmDriverOptions options);

  absl::Status Load();
  // Writes the VM set; called after every change, under mu_.
  absl::Status Save() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs one change of the fake at the current time, saves and wakes the
  // event thread.
  absl::Status Change(const std::function<absl::Status()>& change);
  void EventLoop();

  const SimulatedVmDriverOptions options_;
  FakeVmDriver fake_;
  absl::Mutex mu_;  // orders changes and their saves

  absl::Mutex events_mu_;
  bool events_pending_ ABSL_GUARDED_BY(events_mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(events_mu_) = false;
  std::thread events_thread_;
};

}  // namespace nanoplane::agent::testing
