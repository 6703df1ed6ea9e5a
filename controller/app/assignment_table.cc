#include "controller/app/assignment_table.h"

#include "common/strings.h"

namespace nanoplane::controller::app {

AssignedCopy AssignedCopy::Of(const AssignedInstance& assigned) {
  return AssignedCopy{.identity = assigned.assignment.identity,
                      .host = assigned.host,
                      .created_time = assigned.created_time,
                      .stop_requested = assigned.stop_requested,
                      .generation = assigned.generation};
}

void AssignmentTable::ShareTemplate(AssignedInstance& instance) {
  if (instance.assignment.tmpl == nullptr) {
    return;  // adopted without a known template
  }
  std::weak_ptr<const v1alpha1::UnikernelTemplate>& slot =
      templates_[instance.assignment.identity->spec_hash()];
  if (std::shared_ptr<const v1alpha1::UnikernelTemplate> shared = slot.lock()) {
    instance.assignment.tmpl = std::move(shared);
  } else {
    slot = instance.assignment.tmpl;
  }
}

void AssignmentTable::Changed(const AssignedInstance& instance) {
  auto it = of_key_.find(instance.key);
  if (it != of_key_.end()) {
    it->second.copies.reset();
  }
}

void AssignmentTable::Indexed(const AssignedInstance& instance) {
  host_of_[instance.name()] = instance.host;
  KeyInstances& of_key = of_key_[instance.key];
  of_key.by_name[instance.name()] = &instance;
  of_key.copies.reset();
  assigned_snapshot_.reset();
  core::Resources& sum = assigned_[instance.host];
  sum.memory_bytes += instance.resources.memory_bytes;
  sum.cpus += instance.resources.cpus;
}

void AssignmentTable::Unindexed(const AssignedInstance& instance) {
  host_of_.erase(instance.name());
  auto names = of_key_.find(instance.key);
  if (names != of_key_.end()) {
    names->second.by_name.erase(instance.name());
    names->second.copies.reset();
    if (names->second.by_name.empty()) {
      of_key_.erase(names);
    }
  }
  assigned_snapshot_.reset();
  core::Resources& sum = assigned_[instance.host];
  sum.memory_bytes -= instance.resources.memory_bytes;
  sum.cpus -= instance.resources.cpus;
}

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
  std::vector<ports::SharedAssignment> set;
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
      Changed(it->second);
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
        mu_.AssertHeld();  // a Mutation: ChangeHost runs it under mu_
        std::string name = instance.name();
        if (host_of_.contains(name)) {
          return absl::AlreadyExistsError(StrCat("instance ", name, " is assigned already"));
        }
        if (capacity.has_value() && Exceeds(instances, instance.resources, *capacity)) {
          return absl::AbortedError(StrCat("host ", host, " has no room left for ", name));
        }
        instance.stop_requested = false;
        instance.generation = 0;
        AssignedInstance& stored = instances[name] = std::move(instance);
        ShareTemplate(stored);
        Indexed(stored);
        return true;
      });
}

void AssignmentTable::Stop(const std::string& host, const std::string& name) {
  // Never fails: the mutation has no error to return.
  ChangeHost(host, [&](std::map<std::string, AssignedInstance>& instances) -> absl::StatusOr<bool> {
    mu_.AssertHeld();  // a Mutation: ChangeHost runs it under mu_
    auto it = instances.find(name);
    if (it == instances.end() || it->second.stop_requested) {
      return false;
    }
    it->second.stop_requested = true;
    it->second.generation = 0;
    Changed(it->second);
    return true;
  }).IgnoreError();
}

void AssignmentTable::Delete(const std::string& host, const std::string& name) {
  ChangeHost(host, [&](std::map<std::string, AssignedInstance>& instances) -> absl::StatusOr<bool> {
    mu_.AssertHeld();  // a Mutation: ChangeHost runs it under mu_
    auto it = instances.find(name);
    if (it == instances.end()) {
      return false;
    }
    // Still in the set (a finished instance): the agent keeps its record
    // until it is unassigned, so the set is sent again without it.
    bool in_set = !it->second.stop_requested;
    Unindexed(it->second);
    instances.erase(it);
    return in_set;
  }).IgnoreError();
}

void AssignmentTable::Adopt(AssignedInstance instance) {
  absl::MutexLock lock(&mu_);
  std::string name = instance.name();
  if (host_of_.contains(name)) {
    return;
  }
  std::string host = instance.host;
  AssignedInstance& stored = hosts_[host][name] = std::move(instance);
  ShareTemplate(stored);
  Indexed(stored);
}

std::vector<AssignedInstance> AssignmentTable::ForKey(const ports::ObjectKey& key) const {
  std::vector<AssignedInstance> out;
  VisitKey(key, [&](const AssignedInstance& instance) { out.push_back(instance); });
  return out;
}

std::vector<std::string> AssignmentTable::NamesOfKey(const ports::ObjectKey& key) const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> names;
  auto instances = of_key_.find(key);
  if (instances != of_key_.end()) {
    for (const auto& [name, instance] : instances->second.by_name) {
      names.push_back(name);
    }
  }
  return names;
}

void AssignmentTable::VisitKey(const ports::ObjectKey& key,
                               const std::function<void(const AssignedInstance&)>& visit) const {
  absl::MutexLock lock(&mu_);
  auto instances = of_key_.find(key);
  if (instances == of_key_.end()) {
    return;
  }
  for (const auto& [name, instance] : instances->second.by_name) {
    visit(*instance);
  }
}

std::shared_ptr<const std::vector<AssignedCopy>> AssignmentTable::CopiesOfKey(
    const ports::ObjectKey& key) const {
  static const auto* const kNone = new std::shared_ptr<const std::vector<AssignedCopy>>(
      std::make_shared<const std::vector<AssignedCopy>>());
  absl::MutexLock lock(&mu_);
  auto it = of_key_.find(key);
  if (it == of_key_.end()) {
    return *kNone;
  }
  if (it->second.copies == nullptr) {
    auto copies = std::make_shared<std::vector<AssignedCopy>>();
    copies->reserve(it->second.by_name.size());
    for (const auto& [name, instance] : it->second.by_name) {
      copies->push_back(AssignedCopy::Of(*instance));
    }
    it->second.copies = std::move(copies);
  }
  return it->second.copies;
}

void AssignmentTable::VisitAll(const std::function<void(const AssignedInstance&)>& visit) const {
  absl::MutexLock lock(&mu_);
  for (const auto& [host, instances] : hosts_) {
    for (const auto& [name, instance] : instances) {
      visit(instance);
    }
  }
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

std::shared_ptr<const std::vector<std::pair<std::string, core::Resources>>>
AssignmentTable::AssignedByHost() const {
  absl::MutexLock lock(&mu_);
  if (assigned_snapshot_ == nullptr) {
    assigned_snapshot_ =
        std::make_shared<const std::vector<std::pair<std::string, core::Resources>>>(
            assigned_.begin(), assigned_.end());
  }
  return assigned_snapshot_;
}

bool AssignmentTable::Contains(std::string_view name) const {
  absl::MutexLock lock(&mu_);
  return host_of_.find(name) != host_of_.end();
}

core::NameSet AssignmentTable::Names() const {
  absl::MutexLock lock(&mu_);
  core::NameSet names;
  for (const auto& [name, host] : host_of_) {
    names.insert(name);
  }
  return names;
}

std::shared_ptr<const v1alpha1::UnikernelTemplate> AssignmentTable::SharedTemplate(
    const std::string& spec_hash) const {
  absl::MutexLock lock(&mu_);
  auto it = templates_.find(spec_hash);
  return it == templates_.end() ? nullptr : it->second.lock();
}

bool AssignmentTable::HostAssigned(const std::string& host) const {
  absl::MutexLock lock(&mu_);
  return sent_.contains(host);
}

}  // namespace nanoplane::controller::app
