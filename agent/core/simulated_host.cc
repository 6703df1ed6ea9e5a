#include "agent/core/simulated_host.h"

namespace nanoplane::agent::core::testing {

SimulatedHost::SimulatedHost(std::map<std::string, Script> scripts, absl::Duration build_time)
    : scripts_(std::move(scripts)), build_time_(build_time) {}

void SimulatedHost::AdvanceTo(absl::Time now) {
  now_ = now;
  for (auto& [name, vm] : vms_) {
    if (vm.observed.state == VmState::kRunning && vm.stops_at <= now_) {
      const Boot& boot = scripts_[vm.observed.identity->spec_hash].at(vm.boots - 1);
      vm.observed.state = VmState::kShutOff;
      vm.observed.stop_reason = boot.stop_reason;
      vm.observed.exit_code = boot.exit_code;
      vm.observed.started_at.reset();
    }
  }
  for (auto it = builds_.begin(); it != builds_.end();) {
    if (it->second <= now_) {
      images_.insert(it->first);
      it = builds_.erase(it);
    } else {
      ++it;
    }
  }
}

void SimulatedHost::BootVm(Vm& vm) {
  Script& script = scripts_[vm.observed.identity->spec_hash];
  if (script.empty()) {
    script.push_back({});
  }
  // The last boot of the script repeats: pad the script as boots go by.
  if (static_cast<size_t>(vm.boots) >= script.size()) {
    script.push_back(script.back());
  }
  const Boot& boot = script[vm.boots];
  vm.boots++;
  vm.observed.state = VmState::kRunning;
  vm.observed.stop_reason = StopReason::kNone;
  vm.observed.exit_code.reset();
  vm.observed.started_at = now_;
  vm.stops_at =
      boot.runs_for == absl::InfiniteDuration() ? absl::InfiniteFuture() : now_ + boot.runs_for;
}

void SimulatedHost::Apply(const Action& action) {
  std::visit([this](const auto& a) { Apply(a); }, action);
}

void SimulatedHost::Apply(const BuildImage& a) {
  if (!images_.contains(a.spec_hash) && !builds_.contains(a.spec_hash)) {
    builds_[a.spec_hash] = now_ + build_time_;
  }
}

void SimulatedHost::Apply(const StartInstance& a) {
  Vm& vm = vms_[a.identity.name];
  if (vm.observed.state == VmState::kRunning) {
    return;  // AlreadyExists: the app treats it as done
  }
  vm.observed.name = a.identity.name;
  vm.observed.identity = a.identity;
  BootVm(vm);
}

void SimulatedHost::Apply(const RestartInstance& a) {
  auto it = vms_.find(a.name);
  if (it != vms_.end() && it->second.observed.state != VmState::kRunning) {
    BootVm(it->second);
  }
}

void SimulatedHost::Apply(const StopInstance& a) {
  auto it = vms_.find(a.name);
  if (it == vms_.end() || it->second.observed.state != VmState::kRunning) {
    return;
  }
  ObservedVm& vm = it->second.observed;
  vm.state = VmState::kShutOff;
  vm.stop_reason = a.graceful ? StopReason::kShutdown : StopReason::kDestroyed;
  vm.started_at.reset();
}

void SimulatedHost::Apply(const DeleteInstance& a) {
  auto it = vms_.find(a.name);
  if (it != vms_.end() && it->second.observed.state != VmState::kRunning) {
    vms_.erase(it);
  }
}

void SimulatedHost::AddVm(const InstanceIdentity& identity) {
  Vm& vm = vms_[identity.name];
  vm.observed.name = identity.name;
  vm.observed.identity = identity;
  BootVm(vm);
}

void SimulatedHost::AddForeignVm(const std::string& name) {
  vms_[name].observed = ObservedVm{.name = name, .state = VmState::kRunning};
}

std::vector<ObservedVm> SimulatedHost::List() const {
  std::vector<ObservedVm> out;
  for (const auto& [name, vm] : vms_) {
    out.push_back(vm.observed);
  }
  return out;
}

Activity SimulatedHost::activity() const {
  Activity activity;
  for (const auto& [hash, _] : builds_) {
    activity.builds_in_flight.insert(hash);
  }
  return activity;
}

Assignment SimulatedHost::WithImages(Assignment assignment) const {
  for (DesiredInstance& instance : assignment.instances) {
    const std::string& hash = instance.identity.spec_hash;
    instance.image_key = images_.contains(hash) ? "img-" + hash : "";
  }
  return assignment;
}

int SimulatedHost::boots(const std::string& name) const {
  auto it = vms_.find(name);
  return it == vms_.end() ? 0 : it->second.boots;
}

}  // namespace nanoplane::agent::core::testing
