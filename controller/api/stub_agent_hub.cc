#include "controller/api/stub_agent_hub.h"

#include <algorithm>

#include "common/strings.h"

namespace nanoplane::controller::api {

void StubAgentHub::SetHosts(std::vector<ports::HostSession> hosts) {
  absl::MutexLock lock(&mu_);
  hosts_ = std::move(hosts);
}

void StubAgentHub::SetLog(const std::string& host, const std::string& instance, std::string log) {
  absl::MutexLock lock(&mu_);
  logs_[{host, instance}] = std::move(log);
}

int64_t StubAgentHub::Assign(const std::string&, std::vector<ports::SharedAssignment>) {
  absl::MutexLock lock(&mu_);
  return ++generation_;
}

std::vector<ports::HostSession> StubAgentHub::Hosts() const {
  absl::MutexLock lock(&mu_);
  return hosts_;
}

void StubAgentHub::SetOnChange(std::function<void(const std::string&)>) {}

absl::Status StubAgentHub::StreamLogs(const std::string& host, const std::string& instance,
                                      int64_t offset, bool,
                                      const std::function<bool(std::string_view)>& sink) {
  std::string log;
  {
    absl::MutexLock lock(&mu_);
    auto it = logs_.find({host, instance});
    if (it == logs_.end()) {
      return absl::NotFoundError(StrCat("no instance ", instance, " on host ", host));
    }
    log = it->second;
  }
  int64_t size = static_cast<int64_t>(log.size());
  size_t start = static_cast<size_t>(offset < 0 ? std::max<int64_t>(0, size + offset)
                                                : std::min(offset, size));
  for (size_t at = start; at < log.size(); at += kChunk) {
    if (!sink(std::string_view(log).substr(at, kChunk))) {
      break;
    }
  }
  return absl::OkStatus();
}

ports::HostSession MakeHostSession(
    const std::string& host, const std::vector<std::pair<std::string, std::string>>& instances) {
  ports::HostSession session;
  session.host = host;
  session.connected = true;
  session.hello.set_host(host);
  session.hello.set_accelerator(agent::v1::TCG);
  session.hello.mutable_capacity()->set_cpus(4);
  session.hello.mutable_capacity()->set_memory_bytes(int64_t{8} << 30);
  session.connected_at = absl::FromUnixSeconds(1'700'000'000);
  session.last_seen = session.connected_at;
  for (const auto& [name, owner] : instances) {
    agent::v1::InstanceReport& report = session.instances.emplace_back();
    size_t slash = owner.find('/');
    report.mutable_identity()->set_name(name);
    report.mutable_identity()->set_namespace_(owner.substr(0, slash));
    report.mutable_identity()->set_unikernel(owner.substr(slash + 1));
    report.set_phase(v1alpha1::RUNNING);
  }
  return session;
}

}  // namespace nanoplane::controller::api
