#include "controller/app/assignment_table.h"

#include "common/strings.h"

namespace nanoplane::controller::app {

void AssignmentTable::SendLocked(const std::string& host) {
  std::vector<agent::v1::InstanceAssignment> set;
  std::vector<AssignedInstance*> sent;
  for (auto& [name, instance] : hosts_[host]) {
    if (!instance.stop_requested) {
      set.push_back(instance.assignment);
    }
    sent.push_back(&instance);
  }
  int64_t generation = hub_.Assign(host, std::move(set));
  sent_.insert(host);
  // Every instance whose presence this assignment settles is dated by it:
  // the agent confirms a start or a stop by applying this generation.
  for (AssignedInstance* instance : sent) {
    if (instance->generation == 0 || instance->stop_requested) {
      instance->generation = std::max(instance->generation, generation);
    }
  }
}

absl::Status AssignmentTable::Start(AssignedInstance instance) {
  absl::MutexLock lock(&mu_);
  std::string name = instance.name();
  if (host_of_.contains(name)) {
    return absl::AlreadyExistsError(StrCat("instance ", name, " is assigned already"));
  }
  std::string host = instance.host;
  instance.stop_requested = false;
  instance.generation = 0;
  host_of_[name] = host;
  hosts_[host][name] = std::move(instance);
  SendLocked(host);
  return absl::OkStatus();
}

void AssignmentTable::Stop(const std::string& host, const std::string& name) {
  absl::MutexLock lock(&mu_);
  auto it = hosts_[host].find(name);
  if (it == hosts_[host].end() || it->second.stop_requested) {
    return;
  }
  it->second.stop_requested = true;
  it->second.generation = 0;
  SendLocked(host);
}

void AssignmentTable::Delete(const std::string& host, const std::string& name) {
  absl::MutexLock lock(&mu_);
  auto it = hosts_[host].find(name);
  if (it == hosts_[host].end()) {
    return;
  }
  bool in_set = !it->second.stop_requested;
  hosts_[host].erase(it);
  host_of_.erase(name);
  // A finished instance still in the set would be restarted by nobody, but the
  // agent keeps its record until it is unassigned.
  if (in_set) {
    SendLocked(host);
  }
}

void AssignmentTable::Adopt(AssignedInstance instance) {
  absl::MutexLock lock(&mu_);
  std::string name = instance.name();
  if (host_of_.contains(name)) {
    return;
  }
  host_of_[name] = instance.host;
  hosts_[instance.host][name] = std::move(instance);
}

std::vector<AssignedInstance> AssignmentTable::ForKey(const ports::ObjectKey& key) const {
  absl::MutexLock lock(&mu_);
  std::vector<AssignedInstance> out;
  for (const auto& [host, instances] : hosts_) {
    for (const auto& [name, instance] : instances) {
      if (instance.key == key) {
        out.push_back(instance);
      }
    }
  }
  return out;
}

std::vector<AssignedInstance> AssignmentTable::All() const {
  absl::MutexLock lock(&mu_);
  std::vector<AssignedInstance> out;
  for (const auto& [host, instances] : hosts_) {
    for (const auto& [name, instance] : instances) {
      out.push_back(instance);
    }
  }
  return out;
}

std::set<ports::ObjectKey> AssignmentTable::KeysOnHost(const std::string& host) const {
  absl::MutexLock lock(&mu_);
  std::set<ports::ObjectKey> keys;
  auto it = hosts_.find(host);
  if (it != hosts_.end()) {
    for (const auto& [name, instance] : it->second) {
      keys.insert(instance.key);
    }
  }
  return keys;
}

std::set<ports::ObjectKey> AssignmentTable::Keys() const {
  absl::MutexLock lock(&mu_);
  std::set<ports::ObjectKey> keys;
  for (const auto& [host, instances] : hosts_) {
    for (const auto& [name, instance] : instances) {
      keys.insert(instance.key);
    }
  }
  return keys;
}

std::map<std::string, core::Resources> AssignmentTable::AssignedByHost() const {
  absl::MutexLock lock(&mu_);
  std::map<std::string, core::Resources> out;
  for (const auto& [host, instances] : hosts_) {
    core::Resources& sum = out[host];
    for (const auto& [name, instance] : instances) {
      sum.memory_bytes += instance.resources.memory_bytes;
      sum.cpus += instance.resources.cpus;
    }
  }
  return out;
}

core::NameSet AssignmentTable::Names() const {
  absl::MutexLock lock(&mu_);
  core::NameSet names;
  for (const auto& [name, host] : host_of_) {
    names.insert(name);
  }
  return names;
}

bool AssignmentTable::HostAssigned(const std::string& host) const {
  absl::MutexLock lock(&mu_);
  return sent_.contains(host);
}

}  // namespace nanoplane::controller::app
