#include "agent/testing/fake_vm_driver.h"

#include <set>

#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::agent::testing {

absl::Status FakeVmDriver::Enter(VmOp op) {
  ++calls_[op];
  std::vector<absl::Status>& queued = failures_[op];
  if (queued.empty()) {
    return absl::OkStatus();
  }
  absl::Status status = queued.front();
  queued.erase(queued.begin());
  return status;
}

absl::StatusOr<FakeVmDriver::Vm*> FakeVmDriver::Find(std::string_view name) {
  auto it = vms_.find(name);
  if (it == vms_.end()) {
    return absl::NotFoundError(StrCat("look up domain ", name, ": no such vm"));
  }
  return &it->second;
}

void FakeVmDriver::Emit(VmEvent event) { pending_.push_back(std::move(event)); }

void FakeVmDriver::StopVm(Vm& vm, StopReason reason, std::optional<int> code) {
  vm.info.state = reason == StopReason::kCrashed ? VmState::kCrashed : VmState::kShutOff;
  vm.info.stop_reason = reason;
  vm.info.exit_code = code;
  vm.info.started_at.reset();
  Emit({.name = vm.spec.identity.name,
        .type = VmEventType::kStopped,
        .stop_reason = reason,
        .exit_code = code});
}

absl::StatusOr<std::vector<PortBinding>> FakeVmDriver::BindPorts(const VmSpec& spec) {
  std::vector<PortBinding> bindings;
  const auto* user = std::get_if<UserNetwork>(&spec.network);
  if (user == nullptr) {
    return bindings;
  }
  std::set<int> taken;
  for (const auto& [name, vm] : vms_) {
    if (name != spec.identity.name) {
      for (const PortBinding& port : vm.info.ports) {
        taken.insert(port.forward.host_port);
      }
    }
  }
  for (PortForward forward : user->forwards) {
    if (forward.host_port == 0) {
      while (taken.contains(next_port_)) {
        ++next_port_;
      }
      forward.host_port = next_port_++;
    } else if (taken.contains(forward.host_port)) {
      return absl::AlreadyExistsError(StrCat("host port ", forward.host_port, " is taken"));
    }
    taken.insert(forward.host_port);
    bindings.push_back({.forward = forward, .host_address = user->host_address});
  }
  return bindings;
}

absl::StatusOr<VmInfo> FakeVmDriver::Create(const VmSpec& spec) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(VmOp::kCreate));
  const std::string& name = spec.identity.name;
  if (!IsValidVmName(name) || spec.memory_bytes <= 0 || spec.vcpus < 1) {
    return absl::InvalidArgumentError(StrCat("vm \"", name, "\": invalid spec"));
  }
  auto it = vms_.find(name);
  if (it != vms_.end() && it->second.info.state == VmState::kRunning) {
    return absl::AlreadyExistsError(StrCat("create domain ", name, ": it is running"));
  }
  NP_ASSIGN_OR_RETURN(std::vector<PortBinding> ports, BindPorts(spec));
  Vm vm{.spec = spec,
        .info = {.identity = spec.identity,
                 .state = VmState::kRunning,
                 .ports = std::move(ports),
                 .started_at = now_,
                 .accelerator = spec.accelerator,
                 .console_log = spec.console_log.empty() ? StrCat("/fake/logs/", name, ".log")
                                                         : spec.console_log}};
  if (it == vms_.end()) {
    Emit({.name = name, .type = VmEventType::kDefined});
  }
  vms_[name] = vm;
  Emit({.name = name, .type = VmEventType::kStarted});
  return vm.info;
}

absl::Status FakeVmDriver::Stop(std::string_view name, absl::Duration) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(VmOp::kStop));
  NP_ASSIGN_OR_RETURN(Vm * vm, Find(name));
  if (vm->info.state == VmState::kRunning || vm->info.state == VmState::kPaused) {
    StopVm(*vm, ignores_acpi_ ? StopReason::kDestroyed : StopReason::kShutdown, std::nullopt);
  }
  return absl::OkStatus();
}

absl::Status FakeVmDriver::Destroy(std::string_view name) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(VmOp::kDestroy));
  NP_ASSIGN_OR_RETURN(Vm * vm, Find(name));
  if (vm->info.state == VmState::kRunning || vm->info.state == VmState::kPaused) {
    StopVm(*vm, StopReason::kDestroyed, std::nullopt);
  }
  return absl::OkStatus();
}

absl::Status FakeVmDriver::Delete(std::string_view name, const DeleteOptions&) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(VmOp::kDelete));
  NP_ASSIGN_OR_RETURN(Vm * vm, Find(name));
  if (vm->info.state == VmState::kRunning || vm->info.state == VmState::kPaused) {
    StopVm(*vm, StopReason::kDestroyed, std::nullopt);
  }
  vms_.erase(vms_.find(name));
  Emit({.name = std::string(name), .type = VmEventType::kUndefined});
  return absl::OkStatus();
}

absl::StatusOr<std::vector<VmInfo>> FakeVmDriver::List() {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(VmOp::kList));
  std::vector<VmInfo> infos;
  for (const auto& [name, vm] : vms_) {
    infos.push_back(vm.info);
  }
  return infos;
}

absl::StatusOr<VmInfo> FakeVmDriver::Get(std::string_view name) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(VmOp::kGet));
  NP_ASSIGN_OR_RETURN(Vm * vm, Find(name));
  return vm->info;
}

absl::Status FakeVmDriver::Watch(VmEventCallback callback) {
  absl::MutexLock lock(&mu_);
  NP_RETURN_IF_ERROR(Enter(VmOp::kWatch));
  watcher_ = std::move(callback);
  return absl::OkStatus();
}

void FakeVmDriver::FailNext(VmOp op, absl::Status status) {
  absl::MutexLock lock(&mu_);
  failures_[op].push_back(std::move(status));
}

void FakeVmDriver::SetIgnoresAcpi(bool ignores) {
  absl::MutexLock lock(&mu_);
  ignores_acpi_ = ignores;
}

void FakeVmDriver::SetNow(absl::Time now) {
  absl::MutexLock lock(&mu_);
  now_ = now;
}

absl::Status FakeVmDriver::SimulateExit(std::string_view name, int code) {
  absl::MutexLock lock(&mu_);
  NP_ASSIGN_OR_RETURN(Vm * vm, Find(name));
  if (vm->info.state != VmState::kRunning) {
    return absl::FailedPreconditionError(StrCat("vm ", name, " is not running"));
  }
  if (vm->spec.debug_exit) {
    StopVm(*vm, StopReason::kExited, code);
  } else {
    StopVm(*vm, StopReason::kShutdown, std::nullopt);
  }
  return absl::OkStatus();
}

absl::Status FakeVmDriver::SimulateCrash(std::string_view name) {
  absl::MutexLock lock(&mu_);
  NP_ASSIGN_OR_RETURN(Vm * vm, Find(name));
  if (vm->info.state != VmState::kRunning) {
    return absl::FailedPreconditionError(StrCat("vm ", name, " is not running"));
  }
  Emit({.name = std::string(name), .type = VmEventType::kCrashed});
  StopVm(*vm, StopReason::kCrashed, std::nullopt);
  return absl::OkStatus();
}

absl::Status FakeVmDriver::SimulateShutdown(std::string_view name) {
  absl::MutexLock lock(&mu_);
  NP_ASSIGN_OR_RETURN(Vm * vm, Find(name));
  if (vm->info.state != VmState::kRunning) {
    return absl::FailedPreconditionError(StrCat("vm ", name, " is not running"));
  }
  StopVm(*vm, StopReason::kShutdown, std::nullopt);
  return absl::OkStatus();
}

int FakeVmDriver::DeliverEvents() {
  std::vector<VmEvent> events;
  VmEventCallback watcher;
  {
    absl::MutexLock lock(&mu_);
    events.swap(pending_);
    watcher = watcher_;
  }
  if (watcher) {
    for (const VmEvent& event : events) {
      watcher(event);
    }
  }
  return static_cast<int>(events.size());
}

std::optional<VmSpec> FakeVmDriver::SpecOf(std::string_view name) const {
  absl::MutexLock lock(&mu_);
  auto it = vms_.find(name);
  return it == vms_.end() ? std::nullopt : std::optional<VmSpec>(it->second.spec);
}

int FakeVmDriver::Calls(VmOp op) const {
  absl::MutexLock lock(&mu_);
  auto it = calls_.find(op);
  return it == calls_.end() ? 0 : it->second;
}

}  // namespace nanoplane::agent::testing
