#include "cli/resource_tables.h"

#include <algorithm>
#include <map>

#include "common/instance_state_proto.h"
#include "common/strings.h"

namespace nanoplane::cli {
namespace {

namespace pb = ::nanoplane::v1alpha1;

std::string OrNone(const std::string& text) { return text.empty() ? "<none>" : text; }

std::string Ports(const pb::InstanceStatus& instance) {
  std::vector<std::string> ports;
  for (const pb::PortStatus& port : instance.ports()) {
    std::string proto = port.protocol() == pb::UDP ? "UDP" : "TCP";
    ports.push_back(port.host_port() == 0 ? StrCat(port.port(), "/", proto)
                                          : StrCat(port.host_ip(), ":", port.host_port(), "->",
                                                   port.port(), "/", proto));
  }
  return OrNone(StrJoin(ports, ","));
}

}  // namespace

std::string FormatLabels(const google::protobuf::Map<std::string, std::string>& labels) {
  std::map<std::string, std::string> sorted(labels.begin(), labels.end());
  std::vector<std::string> pairs;
  for (const auto& [key, value] : sorted) {
    pairs.push_back(StrCat(key, "=", value));
  }
  return OrNone(StrJoin(pairs, ","));
}

std::vector<Row> UnikernelTable(const std::vector<pb::Unikernel>& objects, bool wide,
                                absl::Time now) {
  std::vector<Row> rows = {{"NAME", "DESIRED", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"}};
  if (wide) {
    rows[0].insert(rows[0].end(), {"REVISION", "PAUSED", "PROGRAM"});
  }
  for (const pb::Unikernel& u : objects) {
    const pb::UnikernelStatus& s = u.status();
    Row row = {u.metadata().name(),
               StrCat(u.spec().replicas()),
               StrCat(s.ready_replicas()),
               StrCat(s.updated_replicas()),
               StrCat(s.available_replicas()),
               AgeOf(u.metadata().creation_timestamp(), now)};
    if (wide) {
      row.insert(row.end(), {StrCat(s.update_revision()), u.spec().paused() ? "true" : "false",
                             u.spec().template_().image().program()});
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<InstanceRow> InstancesOf(const std::vector<pb::Unikernel>& objects,
                                     const std::string& name) {
  std::vector<InstanceRow> out;
  for (const pb::Unikernel& u : objects) {
    for (const pb::InstanceStatus& instance : u.status().instances()) {
      if (name.empty() || instance.name() == name) {
        out.push_back({u.metadata().name(), instance});
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const InstanceRow& a, const InstanceRow& b) {
    return a.status.name() < b.status.name();
  });
  return out;
}

std::vector<Row> InstanceTable(const std::vector<InstanceRow>& instances, bool wide,
                               absl::Time now) {
  std::vector<Row> rows = {
      {"NAME", "UNIKERNEL", "HOST", "REVISION", "PHASE", "READY", "RESTARTS", "ADDRESS", "AGE"}};
  if (wide) {
    rows[0].insert(rows[0].end(), {"PORTS", "MESSAGE"});
  }
  for (const InstanceRow& instance : instances) {
    const pb::InstanceStatus& s = instance.status;
    Row row = {s.name(),
               instance.unikernel,
               OrNone(s.host()),
               StrCat(s.revision()),
               PhaseName(PhaseFromProto(s.phase()).value_or(InstancePhase::kUnknown)),
               s.ready() ? "true" : "false",
               StrCat(s.restarts()),
               OrNone(s.address()),
               s.started_at().empty() ? "<none>" : AgeOf(s.started_at(), now)};
    if (wide) {
      row.insert(row.end(), {Ports(s), OrNone(s.message())});
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<Row> HostTable(const std::vector<api::v1::Host>& hosts, bool wide, absl::Time now) {
  std::vector<Row> rows = {{"NAME", "STATE", "ACCEL", "CPUS", "MEMORY", "INSTANCES", "AGE"}};
  if (wide) {
    rows[0].insert(rows[0].end(), {"AGENT", "LABELS"});
  }
  for (const api::v1::Host& host : hosts) {
    Row row = {host.name(),
               host.state(),
               OrNone(host.accelerator()),
               StrCat(host.cpus()),
               FormatBytes(host.memory_bytes()),
               StrCat(host.instances()),
               AgeOf(host.connected_at(), now)};
    if (wide) {
      row.insert(row.end(), {OrNone(host.agent_version()), FormatLabels(host.labels())});
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<Row> EventTable(const std::vector<api::v1::Event>& events, absl::Time now) {
  std::vector<Row> rows = {{"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"}};
  for (const api::v1::Event& event : events) {
    std::string kind = event.kind();
    std::transform(kind.begin(), kind.end(), kind.begin(), ::tolower);
    std::string seen = AgeOf(event.last_time(), now);
    if (event.count() > 1) {
      StrAppend(&seen, " (x", event.count(), ")");
    }
    rows.push_back(
        {seen, event.type(), event.reason(), StrCat(kind, "/", event.name()), event.message()});
  }
  return rows;
}

}  // namespace nanoplane::cli
