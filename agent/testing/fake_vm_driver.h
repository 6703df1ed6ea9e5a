#pragma once

// FakeVmDriver: an in-memory VmDriver for tests and simulation.
//
// Follows the port's contract (names, idempotent Stop/Destroy, NotFound,
// AlreadyExists, host ports without collisions from 40000 up) with no VMs
// behind it. Tests drive the guest side (SimulateExit, SimulateCrash,
// SimulateShutdown), inject a failure for the next call of an operation
// (FailNext) and read what was asked (spec, call counts). Events are queued
// and delivered to the watcher by DeliverEvents() on the caller's thread, so
// tests decide when they arrive. Time comes from a settable clock.
// Thread-safe.

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "agent/ports/vm_driver.h"

namespace nanoplane::agent::testing {

enum class VmOp { kCreate, kStop, kDestroy, kDelete, kList, kGet, kWatch };

class FakeVmDriver final : public VmDriver {
 public:
  FakeVmDriver() = default;

  // ports::VmDriver
  [[nodiscard]] absl::StatusOr<VmInfo> Create(const VmSpec& spec) override;
  [[nodiscard]] absl::Status Stop(std::string_view name, absl::Duration timeout) override;
  [[nodiscard]] absl::Status Destroy(std::string_view name) override;
  [[nodiscard]] absl::Status Delete(std::string_view name, const DeleteOptions& options) override;
  [[nodiscard]] absl::StatusOr<std::vector<VmInfo>> List() override;
  [[nodiscard]] absl::StatusOr<VmInfo> Get(std::string_view name) override;
  [[nodiscard]] absl::Status Watch(VmEventCallback callback) override;

  // The next call of `op` returns `status` (once; calls queue up per op).
  void FailNext(VmOp op, absl::Status status);
  // Stop no longer shuts the guest down gracefully: it ends up destroyed.
  void SetIgnoresAcpi(bool ignores);
  void SetNow(absl::Time now);

  // The guest exited with `code` (kExited when the spec has debug_exit, else
  // kShutdown), crashed, or powered off. NotFound / FailedPrecondition when
  // the VM does not exist / is not running.
  [[nodiscard]] absl::Status SimulateExit(std::string_view name, int code);
  [[nodiscard]] absl::Status SimulateCrash(std::string_view name);
  [[nodiscard]] absl::Status SimulateShutdown(std::string_view name);

  // Delivers queued events to the watcher; returns how many.
  int DeliverEvents();

  std::optional<VmSpec> SpecOf(std::string_view name) const;
  int Calls(VmOp op) const;

 private:
  struct Vm {
    VmSpec spec;
    VmInfo info;
  };

  absl::Status Enter(VmOp op) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<Vm*> Find(std::string_view name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StopVm(Vm& vm, StopReason reason, std::optional<int> code)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Emit(VmEvent event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<PortBinding>> BindPorts(const VmSpec& spec)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, Vm, std::less<>> vms_ ABSL_GUARDED_BY(mu_);
  std::map<VmOp, std::vector<absl::Status>> failures_ ABSL_GUARDED_BY(mu_);
  std::map<VmOp, int> calls_ ABSL_GUARDED_BY(mu_);
  std::vector<VmEvent> pending_ ABSL_GUARDED_BY(mu_);
  VmEventCallback watcher_ ABSL_GUARDED_BY(mu_);
  bool ignores_acpi_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time now_ ABSL_GUARDED_BY(mu_) = absl::UnixEpoch();
  int next_port_ ABSL_GUARDED_BY(mu_) = 40000;
};

}  // namespace nanoplane::agent::testing
