#include "controller/app/assignment_table.h"

#include "common/strings.h"

namespace nanoplane::controller::app {

absl::Status AssignmentTable::ChangeHost(const std::string& host, const Mutation& mutate) {
  std::shared_ptr<std::mutex> send_mutex;
  {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<std::mutex>& slot = send_mutexes_[host];
    if (slot == nullptr) {
      slot = std::make_shared<std::mutex>();
    }
    send_mutex = slot;
  }
  // Held from the change to the send, so this host's sets reach the hub in
  // the order of the changes; other hosts are not held up by a slow send.
  std::lock_guard<std::mutex> send_guard(*send_mutex);
  std::vector<agent::v1::InstanceAssignment> set;
  std::vector<std::string> names;
  {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<bool> send = mutate(hosts_[host]);
    if (!send.ok() || !*send) {
      return send.status();
    }
    for (const auto& [name, instance] : hosts_[host]) {
      if (!instance.stop_requested) {
        set.push_back(instance.assignment);
      }
      names.push_back(name);
    }
  }
  int64_t generation = hub_.Assign(host, std::move(set));
  absl::MutexLock lock(&mu_);
  sent_.insert(host);
  // Every instance whose presence this assignment settles is dated by it:
  // the agent confirms a start or a stop by applying this generation.
  std::map<std::string, AssignedInstance>& instances = hosts_[host];
  for (const std::string& name : names) {
    auto it = instances.find(name);
    if (it != instances.end() && (it->second.generation == 0 || it->second.stop_requested)) {
      it->second.generation = std::max(it->second.generation, generation);
    }
  }
  return absl::OkStatus();
}

namespace {

bool Exceeds(const std::map<std::string, AssignedInstance>& instances, const core::Resources& add,
             const core::Resources& capacity) {
  core::Resources sum = add;
  for (const auto& [name, instance] : instances) {
    sum.memory_bytes += instance.resources.memory_bytes;
    sum.cpus += instance.resources.cpus;
  }
  return sum.memory_bytes > capacity.memory_bytes || sum.cpus > capacity.cpus;
}

}  // namespace

absl::Status AssignmentTable::Start(AssignedInstance instance,
                                    std::optional<core::Resources> capacity) {
  std::string host = instance.host;
  return ChangeHost(
      host, [&](std::map<std::string, AssignedInstance>& instances) -> absl::StatusOr<bool> {
        std::string name = instance.name();
        if (host_of_.contains(name)) {
          return absl::AlreadyExistsError(StrCat("instance ", name, " is assigned already"));
        }
        if (capacity.has_value() && Exceeds(instances, instance.resources, *capacity)) {
          return absl::AbortedError(StrCat("host ", host, " has no room left for ", name));
        }
        instance.stop_requested = false;
        instance.generation = 0;
        host_of_[name] = host;
        instances[name] = std::move(instance);
        return true;
      });
}

void AssignmentTable::Stop(const std::string& host, const std::string& name) {
  // Never fails: the mutation has no error to return.
  ChangeHost(host, [&](std::map<std::string, AssignedInstance>& instances) -> absl::StatusOr<bool> {
    auto it = instances.find(name);
    if (it == instances.end() || it->second.stop_requested) {
      return false;
    }
    it->second.stop_requested = true;
    it->second.generation = 0;
    return true;
  }).IgnoreError();
}

void AssignmentTable::Delete(const std::string& host, const std::string& name) {
  ChangeHost(host, [&](std::map<std::string, AssignedInstance>& instances) -> absl::StatusOr<bool> {
    auto it = instances.find(name);
    if (it == instances.end()) {
      return false;
    }
    // Still in the set (a finished instance): the agent keeps its record
    // until it is unassigned, so the set is sent again without it.
    bool in_set = !it->second.stop_requested;
    instances.erase(it);
    host_of_.erase(name);
    return in_set;
  }).IgnoreError();
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
