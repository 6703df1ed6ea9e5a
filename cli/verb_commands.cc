// `nanoplane delete|scale|rollout|logs|events`.

#include "cli/controller_commands.h"
#include "cli/resource_tables.h"
#include "common/codec.h"
#include "common/manifest_reader.h"
#include "common/strings.h"
#include "common/yaml_json.h"

namespace nanoplane::cli {
namespace {

namespace pb = ::nanoplane::v1alpha1;

int DeleteOne(const CommandContext& context, const std::string& ns, const std::string& name) {
  apiv1::DeleteRequest request;
  request.set_namespace_(ns);
  request.set_name(name);
  apiv1::DeleteResponse response;
  grpc::Status status = context.stub.Delete(UnaryContext(context).get(), request, &response);
  if (!status.ok()) {
    return Fail(context, status);
  }
  context.out << "unikernel.nanoplane.dev \"" << name << "\" deleted"
              << (response.gone() ? "" : " (its instances are being stopped)") << "\n";
  return 0;
}

int RolloutStatus(const CommandContext& context, const RolloutOptions& options) {
  apiv1::RolloutStatusRequest request;
  request.set_namespace_(context.ns);
  request.set_name(options.name);
  request.set_watch(options.watch);
  request.set_revision(options.revision);
  grpc::ClientContext client;
  if (options.timeout.count() > 0) {
    client.set_deadline(std::chrono::system_clock::now() + options.timeout);
  }
  auto reader = context.stub.RolloutStatus(&client, request);
  apiv1::RolloutStatusResponse response;
  bool done = false, failed = false;
  while (reader->Read(&response)) {
    (response.failed() ? context.err : context.out) << response.message() << "\n";
    done = response.done();
    failed = response.failed();
  }
  grpc::Status status = reader->Finish();
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED && options.timeout.count() > 0) {
    context.err << "error: timed out waiting for the condition\n";
    return 1;
  }
  if (!status.ok()) {
    return Fail(context, status);
  }
  return done && !failed ? 0 : 1;
}

int RolloutHistory(const CommandContext& context, const RolloutOptions& options) {
  apiv1::RolloutHistoryRequest request;
  request.set_namespace_(context.ns);
  request.set_name(options.name);
  request.set_revision(options.revision);
  apiv1::RolloutHistoryResponse response;
  grpc::Status status =
      context.stub.RolloutHistory(UnaryContext(context).get(), request, &response);
  if (!status.ok()) {
    return Fail(context, status);
  }
  if (options.revision != 0) {
    context.out << "unikernel \"" << options.name << "\" with revision #" << options.revision
                << "\nTemplate:\n"
                << JsonToYaml(EncodeMessage(response.revisions(0).template_()));
    return 0;
  }
  context.out << "unikernel.nanoplane.dev/" << options.name << "\n";
  std::vector<Row> rows = {{"REVISION", "CHANGE-CAUSE"}};
  for (const apiv1::Revision& revision : response.revisions()) {
    rows.push_back({StrCat(revision.number(), revision.current() ? " (current)" : ""),
                    revision.change_cause().empty() ? "<none>" : revision.change_cause()});
  }
  context.out << RenderTable(rows);
  return 0;
}

int RolloutChange(const CommandContext& context, const RolloutOptions& options) {
  apiv1::RolloutResponse response;
  grpc::Status status;
  auto client = UnaryContext(context);
  apiv1::ObjectName name;
  name.set_namespace_(context.ns);
  name.set_name(options.name);
  if (options.verb == "undo") {
    apiv1::RolloutUndoRequest request;
    request.set_namespace_(context.ns);
    request.set_name(options.name);
    request.set_to_revision(options.revision);
    status = context.stub.RolloutUndo(client.get(), request, &response);
  } else if (options.verb == "pause") {
    status = context.stub.RolloutPause(client.get(), name, &response);
  } else if (options.verb == "resume") {
    status = context.stub.RolloutResume(client.get(), name, &response);
  } else if (options.verb == "restart") {
    status = context.stub.RolloutRestart(client.get(), name, &response);
  } else {
    context.err << "error: unknown rollout command \"" << options.verb << "\"\n";
    return 1;
  }
  if (!status.ok()) {
    return Fail(context, status);
  }
  context.out << response.message() << "\n";
  return 0;
}

}  // namespace

int RunDelete(const CommandContext& context, const std::string& name,
              const std::vector<std::string>& files) {
  if (files.empty()) {
    return DeleteOne(context, context.ns, name);
  }
  ManifestSet set = ReadManifests(files);
  for (const ManifestError& error : set.errors) {
    context.err << "error: " << error.ToString() << "\n";
  }
  if (!set.ok()) {
    return 1;
  }
  int code = 0;
  for (const ManifestDocument& doc : set.documents) {
    code |=
        DeleteOne(context, doc.unikernel.metadata().namespace_(), doc.unikernel.metadata().name());
  }
  return code;
}

int RunScale(const CommandContext& context, const std::string& name, int32_t replicas) {
  apiv1::ScaleRequest request;
  request.set_namespace_(context.ns);
  request.set_name(name);
  request.set_replicas(replicas);
  pb::Unikernel object;
  grpc::Status status = context.stub.Scale(UnaryContext(context).get(), request, &object);
  if (!status.ok()) {
    return Fail(context, status);
  }
  context.out << "unikernel.nanoplane.dev/" << name << " scaled\n";
  return 0;
}

int RunRollout(const CommandContext& context, const RolloutOptions& options) {
  if (options.verb == "status") {
    return RolloutStatus(context, options);
  }
  if (options.verb == "history") {
    return RolloutHistory(context, options);
  }
  return RolloutChange(context, options);
}

int RunLogs(const CommandContext& context, const std::string& name, const std::string& instance,
            bool follow) {
  apiv1::LogsRequest request;
  request.set_namespace_(context.ns);
  request.set_name(name);
  request.set_instance(instance);
  request.set_follow(follow);
  grpc::ClientContext client;
  auto reader = context.stub.Logs(&client, request);
  apiv1::LogChunk chunk;
  while (reader->Read(&chunk)) {
    context.out << chunk.data();
    context.out.flush();
  }
  grpc::Status status = reader->Finish();
  return status.ok() ? 0 : Fail(context, status);
}

int RunEvents(const CommandContext& context, bool all_namespaces) {
  apiv1::EventsRequest request;
  request.set_namespace_(context.ns);
  request.set_all_namespaces(all_namespaces);
  apiv1::EventsResponse response;
  grpc::Status status = context.stub.Events(UnaryContext(context).get(), request, &response);
  if (!status.ok()) {
    return Fail(context, status);
  }
  if (response.events().empty()) {
    context.err << "No events found in " << context.ns << " namespace.\n";
    return 0;
  }
  std::vector<apiv1::Event> events(response.events().begin(), response.events().end());
  context.out << RenderTable(EventTable(events, absl::Now()));
  return 0;
}

}  // namespace nanoplane::cli
