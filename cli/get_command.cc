// `nanoplane get unikernels|instances|hosts [NAME] [-o wide|yaml|json]`.

#include "cli/controller_commands.h"
#include "cli/resource_tables.h"
#include "cli/table.h"
#include "common/codec.h"
#include "common/strings.h"
#include "common/yaml_json.h"
#include "google/protobuf/util/json_util.h"

namespace nanoplane::cli {
namespace {

namespace pb = ::nanoplane::v1alpha1;

enum class Kind { kUnikernels, kInstances, kHosts, kUnknown };

Kind KindOf(const std::string& what) {
  if (what == "unikernels" || what == "unikernel" || what == "uk") {
    return Kind::kUnikernels;
  }
  if (what == "instances" || what == "instance" || what == "inst") {
    return Kind::kInstances;
  }
  if (what == "hosts" || what == "host") {
    return Kind::kHosts;
  }
  return Kind::kUnknown;
}

// Messages outside the Unikernel API (hosts) have no schema options: protobuf's
// own JSON mapping, then the same YAML writer.
Json ProtoJson(const google::protobuf::Message& message) {
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;
  (void)google::protobuf::util::MessageToJsonString(message, &text, options);
  return Json::parse(text, nullptr, false);
}

void PrintStructured(const CommandContext& context, const Json& json, GetOutput output) {
  if (output == GetOutput::kJson) {
    context.out << json.dump(2) << "\n";
  } else {
    context.out << JsonToYaml(json);
  }
}

Json ListOf(std::vector<Json> items) {
  Json list = Json::object();
  list["apiVersion"] = "v1";
  list["kind"] = "List";
  list["items"] = Json::array();
  for (Json& item : items) {
    list["items"].push_back(std::move(item));
  }
  return list;
}

grpc::Status FetchUnikernels(const CommandContext& context, const std::string& name,
                             std::vector<pb::Unikernel>& out) {
  if (!name.empty()) {
    apiv1::GetRequest request;
    request.set_namespace_(context.ns);
    request.set_name(name);
    pb::Unikernel object;
    grpc::Status status = context.stub.Get(UnaryContext(context).get(), request, &object);
    out.push_back(std::move(object));
    return status;
  }
  apiv1::ListRequest request;
  request.set_namespace_(context.ns);
  apiv1::ListResponse response;
  grpc::Status status = context.stub.List(UnaryContext(context).get(), request, &response);
  out.assign(response.items().begin(), response.items().end());
  return status;
}

int GetUnikernels(const CommandContext& context, Kind kind, const std::string& name,
                  GetOutput output) {
  std::vector<pb::Unikernel> objects;
  if (grpc::Status status =
          FetchUnikernels(context, kind == Kind::kUnikernels ? name : "", objects);
      !status.ok()) {
    return Fail(context, status);
  }
  bool wide = output == GetOutput::kWide;
  absl::Time now = absl::Now();
  if (kind == Kind::kInstances) {
    std::vector<InstanceRow> instances = InstancesOf(objects, name);
    if (!name.empty() && instances.empty()) {
      context.err << "error: instance \"" << name << "\" not found\n";
      return 1;
    }
    if (output == GetOutput::kYaml || output == GetOutput::kJson) {
      std::vector<Json> items;
      for (const InstanceRow& row : instances) {
        items.push_back(EncodeMessage(row.status));
      }
      PrintStructured(context, items.size() == 1 && !name.empty() ? items[0] : ListOf(items),
                      output);
      return 0;
    }
    context.out << RenderTable(InstanceTable(instances, wide, now));
    return 0;
  }
  if (output == GetOutput::kYaml || output == GetOutput::kJson) {
    std::vector<Json> items;
    for (const pb::Unikernel& object : objects) {
      items.push_back(EncodeMessage(object));
    }
    PrintStructured(context, name.empty() ? ListOf(items) : items[0], output);
    return 0;
  }
  if (objects.empty()) {
    context.err << "No resources found in " << context.ns << " namespace.\n";
    return 0;
  }
  context.out << RenderTable(UnikernelTable(objects, wide, now));
  return 0;
}

int GetHosts(const CommandContext& context, const std::string& name, GetOutput output) {
  apiv1::HostsResponse response;
  grpc::Status status = context.stub.Hosts(UnaryContext(context).get(), {}, &response);
  if (!status.ok()) {
    return Fail(context, status);
  }
  std::vector<apiv1::Host> hosts;
  for (const apiv1::Host& host : response.hosts()) {
    if (name.empty() || host.name() == name) {
      hosts.push_back(host);
    }
  }
  if (!name.empty() && hosts.empty()) {
    context.err << "error: host \"" << name << "\" not found\n";
    return 1;
  }
  if (output == GetOutput::kYaml || output == GetOutput::kJson) {
    std::vector<Json> items;
    for (const apiv1::Host& host : hosts) {
      items.push_back(ProtoJson(host));
    }
    PrintStructured(context, name.empty() ? ListOf(items) : items[0], output);
    return 0;
  }
  context.out << RenderTable(HostTable(hosts, output == GetOutput::kWide, absl::Now()));
  return 0;
}

}  // namespace

int RunGet(const CommandContext& context, const std::string& what, const std::string& name,
           GetOutput output) {
  switch (KindOf(what)) {
    case Kind::kUnikernels:
      return GetUnikernels(context, Kind::kUnikernels, name, output);
    case Kind::kInstances:
      return GetUnikernels(context, Kind::kInstances, name, output);
    case Kind::kHosts:
      return GetHosts(context, name, output);
    case Kind::kUnknown:
      break;
  }
  context.err << "error: the server doesn't have a resource type \"" << what
              << "\" (unikernels, instances, hosts)\n";
  return 1;
}

}  // namespace nanoplane::cli
