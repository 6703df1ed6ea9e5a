#include "controller/application/fleet_use_cases.h"

#include <algorithm>

#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::controller::application {
namespace {

namespace pb = ::nanoplane::v1alpha1;

std::string AcceleratorName(agent::v1::Accelerator accelerator) {
  switch (accelerator) {
    case agent::v1::KVM:
      return "KVM";
    case agent::v1::TCG:
      return "TCG";
    default:
      return "";
  }
}

HostView FromSession(const ports::HostSession& session) {
  const auto& labels = session.hello.labels();
  return HostView{.name = session.host,
                  .state = session.connected ? "Ready" : "NotReady",
                  .accelerator = AcceleratorName(session.hello.accelerator()),
                  .cpus = session.hello.capacity().cpus(),
                  .memory_bytes = session.hello.capacity().memory_bytes(),
                  .instances = static_cast<int32_t>(session.instances.size()),
                  .labels = {labels.begin(), labels.end()},
                  .connected = session.connected,
                  .connected_at = session.connected_at,
                  .last_seen = session.last_seen,
                  .agent_version = session.hello.agent_version()};
}

// The registry's record is the reconciler's view (state after the grace
// period); the hub adds what only the agent knows.
void MergeRecord(const ports::HostRecord& record, HostView& host) {
  host.name = record.name;
  host.state = ports::HostStateName(record.state);
  if (host.cpus == 0) {
    host.cpus = static_cast<int32_t>(record.cpus);
    host.memory_bytes = record.memory_bytes;
  }
  host.labels.insert(record.labels.begin(), record.labels.end());
  if (host.last_seen == absl::InfinitePast()) {
    host.last_seen = record.last_seen;
  }
}

struct InstanceLocation {
  std::string name;
  std::string host;
  bool operator<(const InstanceLocation& other) const { return name < other.name; }
};

// The Unikernel's instances as the agents report them, else as its status
// lists them, sorted by name.
std::vector<InstanceLocation> FindInstances(const std::vector<ports::HostSession>& hosts,
                                            const pb::Unikernel& object) {
  std::vector<InstanceLocation> out;
  for (const ports::HostSession& session : hosts) {
    for (const agent::v1::InstanceReport& report : session.instances) {
      if (report.identity().namespace_() == object.metadata().namespace_() &&
          report.identity().unikernel() == object.metadata().name()) {
        out.push_back({report.identity().name(), session.host});
      }
    }
  }
  if (out.empty()) {
    for (const pb::InstanceStatus& instance : object.status().instances()) {
      out.push_back({instance.name(), instance.host()});
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

FleetUseCases::FleetUseCases(ports::Store& store, ports::AgentHub& hub)
    : store_(store), hub_(hub) {}

absl::StatusOr<std::vector<HostView>> FleetUseCases::Hosts() {
  std::map<std::string, HostView> hosts;
  for (const ports::HostSession& session : hub_.Hosts()) {
    hosts[session.host] = FromSession(session);
  }
  NP_ASSIGN_OR_RETURN(std::vector<ports::HostRecord> records, store_.ListHosts());
  for (const ports::HostRecord& record : records) {
    MergeRecord(record, hosts[record.name]);
  }
  std::vector<HostView> out;
  for (auto& [name, host] : hosts) {
    out.push_back(std::move(host));
  }
  return out;
}

absl::Status FleetUseCases::Logs(
    const LogsQuery& query,
    const std::function<bool(const std::string& instance, const std::string& host)>& located,
    const std::function<bool(std::string_view chunk)>& sink) {
  NP_ASSIGN_OR_RETURN(pb::Unikernel object, store_.Get(query.key));
  std::vector<InstanceLocation> instances = FindInstances(hub_.Hosts(), object);
  auto it = std::find_if(instances.begin(), instances.end(), [&](const InstanceLocation& i) {
    return query.instance.empty() || i.name == query.instance;
  });
  if (it == instances.end()) {
    return absl::NotFoundError(
        query.instance.empty()
            ? StrCat("unikernel \"", query.key.name, "\" has no instances")
            : StrCat("unikernel \"", query.key.name, "\" has no instance ", query.instance));
  }
  if (!located(it->name, it->host)) {
    return absl::CancelledError("the client went away");
  }
  return hub_.StreamLogs(it->host, it->name, query.offset, query.follow, sink);
}

}  // namespace nanoplane::controller::application
