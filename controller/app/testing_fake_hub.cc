#include "controller/app/testing_fake_hub.h"

namespace nanoplane::controller::app::testing {

int64_t FakeAgentHub::Assign(const std::string& host,
                             std::vector<ports::SharedAssignment> instances) {
  absl::MutexLock guard(&mutex_);
  ports::HostAssignment& assignment = assignments_[host];
  assignment.generation = next_generation_++;
  assignment.instances = std::move(instances);
  ++assign_calls_;
  // As GrpcAgentHub: the session's assigned_generation is filled in when it is
  // read or the host next reports, rather than by a copy of it per Assign.
  return assignment.generation;
}

std::vector<ports::HostSession> FakeAgentHub::Hosts() const {
  absl::MutexLock guard(&mutex_);
  std::vector<ports::HostSession> out;
  for (const auto& [name, session] : sessions_) {
    out.push_back(*session);
    out.back().assigned_generation = AssignedGenerationLocked(name);
  }
  return out;
}

std::shared_ptr<const ports::SessionList> FakeAgentHub::SharedHosts() const {
  absl::MutexLock guard(&mutex_);
  if (listed_ == nullptr) {
    auto out = std::make_shared<ports::SessionList>();
    for (const auto& [name, session] : sessions_) {
      out->push_back(session);
    }
    listed_ = std::move(out);
  }
  return listed_;
}

void FakeAgentHub::SetOnChange(std::function<void(const std::string& host)> on_change) {
  absl::MutexLock guard(&mutex_);
  on_change_ = std::move(on_change);
}

absl::Status FakeAgentHub::StreamLogs(const std::string& host, const std::string&, int64_t, bool,
                                      const std::function<bool(std::string_view)>&) {
  return absl::NotFoundError("no logs in FakeAgentHub for host " + host);
}

void FakeAgentHub::Notify(const std::string& host) {
  std::function<void(const std::string&)> on_change;
  {
    absl::MutexLock guard(&mutex_);
    on_change = on_change_;
  }
  if (on_change) {
    on_change(host);
  }
}

void FakeAgentHub::Hello(const agent::v1::Hello& hello) {
  {
    absl::MutexLock guard(&mutex_);
    listed_.reset();
    ports::HostSession& session =
        ports::CopyOnWriteWithInstances(sessions_[hello.host()], hello.instances());
    session.host = hello.host();
    session.hello = hello;
    session.hello.clear_instances();  // kept once, in session.instances
    session.connected = true;
    session.connected_at = absl::Now();
    session.last_seen = absl::Now();
    session.applied_generation = hello.assignment_generation();
    session.assigned_generation = AssignedGenerationLocked(hello.host());
  }
  Notify(hello.host());
}

void FakeAgentHub::Report(const std::string& host, const agent::v1::Report& report) {
  {
    absl::MutexLock guard(&mutex_);
    auto it = sessions_.find(host);
    if (it == sessions_.end() || !it->second->connected) {
      return;  // as over gRPC: no report without a hello on a live stream
    }
    listed_.reset();
    ports::HostSession& session = ports::CopyOnWriteWithInstances(it->second, report.instances());
    session.applied_generation = report.assignment_generation();
    session.last_seen = absl::Now();
    session.assigned_generation = AssignedGenerationLocked(host);
  }
  Notify(host);
}

void FakeAgentHub::Disconnect(const std::string& host) {
  {
    absl::MutexLock guard(&mutex_);
    auto it = sessions_.find(host);
    if (it == sessions_.end() || !it->second->connected) {
      return;
    }
    listed_.reset();
    ports::CopyOnWrite(it->second).connected = false;
  }
  Notify(host);
}

bool FakeAgentHub::Connected(const std::string& host) const {
  absl::MutexLock guard(&mutex_);
  auto it = sessions_.find(host);
  return it != sessions_.end() && it->second->connected;
}

std::optional<agent::v1::Assignment> FakeAgentHub::AssignmentFor(const std::string& host) const {
  absl::MutexLock guard(&mutex_);
  auto it = assignments_.find(host);
  if (it == assignments_.end()) {
    return std::nullopt;
  }
  return it->second.ToProto();
}

int64_t FakeAgentHub::AssignedGeneration(const std::string& host) const {
  absl::MutexLock guard(&mutex_);
  return AssignedGenerationLocked(host);
}

int64_t FakeAgentHub::AssignedGenerationLocked(const std::string& host) const {
  auto it = assignments_.find(host);
  return it == assignments_.end() ? 0 : it->second.generation;
}

int FakeAgentHub::AssignCalls() const {
  absl::MutexLock guard(&mutex_);
  return assign_calls_;
}

void FakeAgentHub::Restart() {
  absl::MutexLock guard(&mutex_);
  sessions_.clear();
  listed_.reset();
  assignments_.clear();
  on_change_ = nullptr;
  // Generations keep growing across restarts, as the contract requires.
}

SimulatedAgent::SimulatedAgent(FakeAgentHub& hub, SimulatedHostOptions options, absl::Duration tick,
                               absl::Duration heartbeat, Drive drive)
    : hub_(hub), host_(std::move(options)), tick_(tick), heartbeat_(heartbeat) {
  if (drive == Drive::kOwnThread) {
    thread_ = std::thread([this] { Run(); });
  }
}

SimulatedAgent::~SimulatedAgent() {
  stopping_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
}

void SimulatedAgent::SetDown(bool down) {
  down_ = down;
  if (down) {
    // Let a step in progress finish first, or it could say hello again.
    absl::SleepFor(tick_ * 2);
    hub_.Disconnect(host_.name());
  }
}

void SimulatedAgent::Step() {
  absl::Time now = absl::Now();
  if (!hub_.Connected(host_.name())) {
    hub_.Hello(host_.Hello());
    last_report_ = now;
  }
  bool changed = false;
  // The generation first: copying the whole set every round would cost more
  // than the rest of the round.
  if (hub_.AssignedGeneration(host_.name()) > host_.applied_generation()) {
    std::optional<agent::v1::Assignment> assignment = hub_.AssignmentFor(host_.name());
    if (assignment.has_value() && assignment->generation() > host_.applied_generation()) {
      host_.Apply(*assignment, now);
      changed = true;
    }
  }
  changed = host_.Tick(now) || changed;
  if (changed || now - last_report_ >= heartbeat_) {
    hub_.Report(host_.name(), host_.Report());
    last_report_ = now;
  }
}

void SimulatedAgent::Run() {
  while (!stopping_) {
    if (!down_) {
      Step();
    }
    absl::SleepFor(tick_);
  }
}

}  // namespace nanoplane::controller::app::testing
