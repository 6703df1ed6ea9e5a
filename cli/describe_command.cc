// `nanoplane describe unikernel NAME`: spec summary, conditions, instances, events.

#include "cli/controller_commands.h"
#include "cli/resource_tables.h"
#include "common/strings.h"

namespace nanoplane::cli {
namespace {

namespace pb = ::nanoplane::v1alpha1;

std::string IntOrString(const pb::IntOrString& value) {
  return value.has_int_value() ? StrCat(value.int_value()) : value.string_value();
}

std::string SourceOf(const pb::ImageSpec& image) {
  const pb::Source& source = image.source();
  if (!source.url().empty()) {
    return source.url();
  }
  if (!source.path().empty()) {
    return source.path();
  }
  return source.sha256().empty() ? "<none>" : StrCat("sha256:", source.sha256());
}

void Field(std::ostream& out, std::string_view label, const std::string& value, int indent = 0) {
  std::string head = StrCat(std::string(indent, ' '), label, ":");
  out << head << std::string(head.size() < 20 ? 20 - head.size() : 1, ' ') << value << "\n";
}

void PrintTemplate(std::ostream& out, const pb::UnikernelTemplate& tmpl) {
  out << "Template:\n";
  Field(out, "Program", tmpl.image().program(), 2);
  Field(out, "Source", SourceOf(tmpl.image()), 2);
  Field(out, "Args", tmpl.image().args().empty() ? "<none>" : StrJoin(tmpl.image().args(), " "), 2);
  std::vector<std::string> env;
  for (const pb::EnvVar& var : tmpl.image().env()) {
    env.push_back(StrCat(var.name(), "=", var.value()));
  }
  Field(out, "Env", env.empty() ? "<none>" : StrJoin(env, " "), 2);
  Field(out, "Nanos", tmpl.image().nanos().version(), 2);
  Field(
      out, "Resources",
      StrCat(FormatBytes(tmpl.resources().memory()), " memory, ", tmpl.resources().cpus(), " cpus"),
      2);
  std::vector<std::string> ports;
  for (const pb::Port& port : tmpl.ports()) {
    ports.push_back(StrCat(port.port(), "/", port.protocol() == pb::UDP ? "UDP" : "TCP"));
  }
  Field(out, "Ports", ports.empty() ? "<none>" : StrJoin(ports, ","), 2);
}

void PrintSpec(std::ostream& out, const pb::Unikernel& u) {
  const pb::ObjectMeta& meta = u.metadata();
  const pb::UnikernelStatus& s = u.status();
  Field(out, "Name", meta.name());
  Field(out, "Namespace", meta.namespace_());
  Field(out, "Labels", FormatLabels(meta.labels()));
  Field(out, "Annotations", FormatLabels(meta.annotations()));
  Field(out, "CreationTimestamp", meta.creation_timestamp());
  if (!meta.deletion_timestamp().empty()) {
    Field(out, "DeletionTimestamp", meta.deletion_timestamp());
  }
  Field(out, "Generation", StrCat(meta.generation(), " (observed ", s.observed_generation(), ")"));
  Field(out, "Replicas",
        StrCat(u.spec().replicas(), " desired | ", s.updated_replicas(), " updated | ",
               s.replicas(), " total | ", s.available_replicas(), " available | ",
               s.unavailable_replicas(), " unavailable"));
  Field(out, "Revision",
        StrCat(s.current_revision(), " current, ", s.update_revision(), " update"));
  Field(out, "Paused", u.spec().paused() ? "true" : "false");
  const pb::Strategy& strategy = u.spec().strategy();
  Field(out, "Strategy",
        strategy.type() == pb::RECREATE
            ? "Recreate"
            : StrCat("RollingUpdate (", IntOrString(strategy.rolling_update().max_surge()),
                     " max surge, ", IntOrString(strategy.rolling_update().max_unavailable()),
                     " max unavailable)"));
  Field(out, "MinReadySeconds", StrCat(u.spec().min_ready_seconds()));
  Field(out, "HostSelector", FormatLabels(u.spec().placement().host_selector()));
  PrintTemplate(out, u.spec().template_());
}

void PrintConditions(std::ostream& out, const pb::UnikernelStatus& status) {
  out << "Conditions:\n";
  if (status.conditions().empty()) {
    out << "  <none>\n";
    return;
  }
  std::vector<Row> rows = {{"  Type", "Status", "Reason", "Message"},
                           {"  ----", "------", "------", "-------"}};
  for (const pb::Condition& c : status.conditions()) {
    std::string state = c.status() == pb::TRUE    ? "True"
                        : c.status() == pb::FALSE ? "False"
                                                  : "Unknown";
    rows.push_back({"  " + c.type(), state, c.reason(), c.message()});
  }
  out << RenderTable(rows);
}

}  // namespace

int RunDescribe(const CommandContext& context, const std::string& name) {
  apiv1::GetRequest request;
  request.set_namespace_(context.ns);
  request.set_name(name);
  pb::Unikernel object;
  grpc::Status status = context.stub.Get(UnaryContext(context).get(), request, &object);
  if (!status.ok()) {
    return Fail(context, status);
  }
  apiv1::EventsRequest events_request;
  events_request.set_namespace_(context.ns);
  events_request.set_name(name);
  apiv1::EventsResponse events;
  status = context.stub.Events(UnaryContext(context).get(), events_request, &events);
  if (!status.ok()) {
    return Fail(context, status);
  }
  absl::Time now = absl::Now();
  PrintSpec(context.out, object);
  PrintConditions(context.out, object.status());
  context.out << "Instances:\n";
  std::vector<InstanceRow> instances = InstancesOf({object});
  if (instances.empty()) {
    context.out << "  <none>\n";
  } else {
    std::vector<Row> rows = InstanceTable(instances, false, now);
    for (Row& row : rows) {
      row[0] = "  " + row[0];
    }
    context.out << RenderTable(rows);
  }
  context.out << "Events:\n";
  if (events.events().empty()) {
    context.out << "  <none>\n";
    return 0;
  }
  std::vector<Row> rows = {{"  Type", "Reason", "Age", "Message"},
                           {"  ----", "------", "---", "-------"}};
  for (const apiv1::Event& event : events.events()) {
    rows.push_back(
        {"  " + event.type(), event.reason(), AgeOf(event.last_time(), now),
         event.count() > 1 ? StrCat(event.message(), " (x", event.count(), ")") : event.message()});
  }
  context.out << RenderTable(rows);
  return 0;
}

}  // namespace nanoplane::cli
