#include "controller/app/simulated_host.h"

#include <set>

#include "controller/core/convert.h"

namespace nanoplane::controller::app::testing {

void SimulatedHost::Apply(const agent::v1::Assignment& assignment, absl::Time now) {
  absl::MutexLock guard(&mutex_);
  if (assignment.generation() <= applied_generation_) {
    return;
  }
  applied_generation_ = assignment.generation();
  std::set<std::string> wanted;
  for (const agent::v1::InstanceAssignment& instance : assignment.instances()) {
    const std::string& name = instance.identity().name();
    wanted.insert(name);
    if (vms_.contains(name)) {
      continue;
    }
    Vm vm{.boot_at = now + options_.boot_delay,
          .ready_at = now + options_.boot_delay + options_.ready_delay,
          .reported_from = now + options_.report_delay};
    *vm.report.mutable_identity() = instance.identity();
    vm.report.set_phase(v1alpha1::STARTING);
    vms_.emplace(name, std::move(vm));
  }
  std::erase_if(vms_, [&](const auto& entry) { return !wanted.contains(entry.first); });
}

bool SimulatedHost::Tick(absl::Time now) {
  absl::MutexLock guard(&mutex_);
  bool changed = false;
  for (auto& [name, vm] : vms_) {
    agent::v1::InstanceReport& report = vm.report;
    if (report.phase() == v1alpha1::STARTING && now >= vm.boot_at) {
      report.set_phase(v1alpha1::RUNNING);
      report.set_started_at(core::FormatTimestamp(now));
      changed = true;
    }
    if (report.phase() == v1alpha1::RUNNING && !report.ready() && now >= vm.ready_at) {
      report.set_ready(true);
      report.set_ready_since(core::FormatTimestamp(now));
      changed = true;
    }
  }
  return changed;
}

void SimulatedHost::Fail(const std::string& name) {
  absl::MutexLock guard(&mutex_);
  auto it = vms_.find(name);
  if (it != vms_.end()) {
    it->second.report.set_phase(v1alpha1::FAILED);
    it->second.report.set_ready(false);
    it->second.report.set_ready_since("");
    it->second.report.set_exit_code(1);
  }
}

agent::v1::Hello SimulatedHost::Hello() const {
  agent::v1::Hello hello;
  hello.set_host(options_.name);
  hello.mutable_labels()->insert(options_.labels.begin(), options_.labels.end());
  hello.mutable_capacity()->set_memory_bytes(options_.memory_bytes);
  hello.mutable_capacity()->set_cpus(options_.cpus);
  agent::v1::Report report = Report();
  *hello.mutable_instances() = report.instances();
  hello.set_assignment_generation(report.assignment_generation());
  return hello;
}

agent::v1::Report SimulatedHost::Report() const {
  absl::MutexLock guard(&mutex_);
  agent::v1::Report report;
  absl::Time now = absl::Now();
  for (const auto& [name, vm] : vms_) {
    if (now >= vm.reported_from) {
      *report.add_instances() = vm.report;
    }
  }
  report.set_assignment_generation(applied_generation_);
  return report;
}

void SimulatedHost::Visit(
    const std::function<void(const agent::v1::InstanceReport&)>& visit) const {
  absl::MutexLock guard(&mutex_);
  for (const auto& [name, vm] : vms_) {
    visit(vm.report);
  }
}

std::vector<std::string> SimulatedHost::Running() const {
  absl::MutexLock guard(&mutex_);
  std::vector<std::string> names;
  for (const auto& [name, vm] : vms_) {
    names.push_back(name);
  }
  return names;
}

int64_t SimulatedHost::applied_generation() const {
  absl::MutexLock guard(&mutex_);
  return applied_generation_;
}

}  // namespace nanoplane::controller::app::testing
