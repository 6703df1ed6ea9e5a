#include "controller/api/controller_service.h"

#include "common/status.h"
#include "common/strings.h"
#include "controller/application/apply.h"
#include "controller/core/convert.h"

namespace nanoplane::controller::api {
namespace {

namespace pb = ::nanoplane::v1alpha1;
using application::KeyOf;

// Kubernetes leaves a time that never happened out; so does the API.
std::string TimestampOrEmpty(absl::Time time) {
  return time == absl::InfinitePast() ? "" : core::FormatTimestamp(time);
}

apiv1::ApplyAction ApplyActionToProto(application::ApplyAction action) {
  switch (action) {
    case application::ApplyAction::kCreated:
      return apiv1::CREATED;
    case application::ApplyAction::kConfigured:
      return apiv1::CONFIGURED;
    case application::ApplyAction::kUnchanged:
      return apiv1::UNCHANGED;
  }
  return apiv1::UNCHANGED;
}

apiv1::EventType EventTypeToProto(ports::WatchEventType type) {
  switch (type) {
    case ports::WatchEventType::kAdded:
      return apiv1::ADDED;
    case ports::WatchEventType::kModified:
      return apiv1::MODIFIED;
    case ports::WatchEventType::kDeleted:
      return apiv1::DELETED;
  }
  return apiv1::EVENT_TYPE_UNSPECIFIED;
}

apiv1::Host HostToProto(const application::HostView& view) {
  apiv1::Host host;
  host.set_name(view.name);
  host.set_state(view.state);
  host.set_accelerator(view.accelerator);
  host.set_cpus(view.cpus);
  host.set_memory_bytes(view.memory_bytes);
  host.set_instances(view.instances);
  host.mutable_labels()->insert(view.labels.begin(), view.labels.end());
  host.set_connected(view.connected);
  host.set_connected_at(TimestampOrEmpty(view.connected_at));
  host.set_last_seen(TimestampOrEmpty(view.last_seen));
  host.set_agent_version(view.agent_version);
  return host;
}

apiv1::Event EventToProto(const ports::EventRecord& record) {
  apiv1::Event event;
  event.set_namespace_(record.object.ns);
  event.set_kind(record.object.kind);
  event.set_name(record.object.name);
  event.set_type(record.type == ports::EventType::kWarning ? "Warning" : "Normal");
  event.set_reason(record.reason);
  event.set_message(record.message);
  event.set_count(record.count);
  event.set_first_time(core::FormatTimestamp(record.first_time));
  event.set_last_time(core::FormatTimestamp(record.last_time));
  return event;
}

apiv1::Revision RevisionToProto(application::HistoryEntry entry) {
  apiv1::Revision revision;
  revision.set_number(entry.number);
  revision.set_hash(entry.hash);
  revision.set_created(core::FormatTimestamp(entry.created));
  revision.set_change_cause(entry.change_cause);
  revision.set_current(entry.current);
  if (entry.template_.has_value()) {
    *revision.mutable_template_() = *std::move(entry.template_);
  }
  return revision;
}

std::optional<std::string> NamespaceOf(const std::string& ns, bool all_namespaces) {
  if (all_namespaces) {
    return std::nullopt;
  }
  return ns;
}

grpc::Status FromRollout(absl::StatusOr<application::RolloutResult> result,
                         apiv1::RolloutResponse& response) {
  if (!result.ok()) {
    return ToGrpcStatus(result.status());
  }
  response.set_message(result->message);
  *response.mutable_object() = std::move(result->object);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) {
    return grpc::Status::OK;
  }
  return {static_cast<grpc::StatusCode>(status.code()), std::string(status.message())};
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) {
    return absl::OkStatus();
  }
  return {static_cast<absl::StatusCode>(status.error_code()), status.error_message()};
}

ControllerService::ControllerService(application::UseCases& use_cases,
                                     application::FleetUseCases& fleet)
    : use_cases_(use_cases), fleet_(fleet) {}

grpc::Status ControllerService::Apply(grpc::ServerContext*, const apiv1::ApplyRequest* request,
                                      apiv1::ApplyResponse* response) {
  application::ApplyRequest apply{.objects = {request->objects().begin(), request->objects().end()},
                                  .dry_run = request->dry_run()};
  for (const apiv1::InlineArtifact& artifact : request->artifacts()) {
    apply.artifacts.push_back({.sha256 = artifact.sha256(), .data = artifact.data()});
  }
  absl::StatusOr<std::vector<application::ApplyResult>> results = use_cases_.Apply(apply);
  if (!results.ok()) {
    return ToGrpcStatus(results.status());
  }
  for (application::ApplyResult& result : *results) {
    apiv1::ApplyResult& out = *response->add_results();
    out.set_namespace_(result.key.ns);
    out.set_name(result.key.name);
    out.set_action(ApplyActionToProto(result.action));
    out.set_generation(result.generation);
    *out.mutable_object() = std::move(result.object);
  }
  return grpc::Status::OK;
}

grpc::Status ControllerService::Get(grpc::ServerContext*, const apiv1::GetRequest* request,
                                    pb::Unikernel* response) {
  absl::StatusOr<pb::Unikernel> object =
      use_cases_.Get(KeyOf(request->namespace_(), request->name()));
  if (!object.ok()) {
    return ToGrpcStatus(object.status());
  }
  *response = *std::move(object);
  return grpc::Status::OK;
}

grpc::Status ControllerService::List(grpc::ServerContext*, const apiv1::ListRequest* request,
                                     apiv1::ListResponse* response) {
  absl::StatusOr<ports::UnikernelList> list =
      use_cases_.List({.ns = NamespaceOf(request->namespace_(), request->all_namespaces()),
                       .label_selector = request->label_selector()});
  if (!list.ok()) {
    return ToGrpcStatus(list.status());
  }
  for (pb::Unikernel& object : list->items) {
    *response->add_items() = std::move(object);
  }
  response->set_resource_version(list->resource_version);
  return grpc::Status::OK;
}

grpc::Status ControllerService::Watch(grpc::ServerContext* context,
                                      const apiv1::WatchRequest* request,
                                      grpc::ServerWriter<apiv1::WatchEvent>* writer) {
  application::WatchQuery query{.ns = NamespaceOf(request->namespace_(), request->all_namespaces()),
                                .name = request->name(),
                                .resource_version = request->resource_version()};
  return ToGrpcStatus(use_cases_.WatchUnikernels(
      query,
      [&](const application::UnikernelChange& change) {
        apiv1::WatchEvent event;
        event.set_type(EventTypeToProto(change.type));
        *event.mutable_object() = change.object;
        return writer->Write(event);
      },
      [&] { return context->IsCancelled(); }));
}

grpc::Status ControllerService::Delete(grpc::ServerContext*, const apiv1::DeleteRequest* request,
                                       apiv1::DeleteResponse* response) {
  absl::StatusOr<application::DeleteResult> result =
      use_cases_.Delete(KeyOf(request->namespace_(), request->name()), request->resource_version());
  if (!result.ok()) {
    return ToGrpcStatus(result.status());
  }
  response->set_gone(result->gone);
  *response->mutable_object() = std::move(result->object);
  return grpc::Status::OK;
}

grpc::Status ControllerService::Scale(grpc::ServerContext*, const apiv1::ScaleRequest* request,
                                      pb::Unikernel* response) {
  absl::StatusOr<pb::Unikernel> object =
      use_cases_.Scale(KeyOf(request->namespace_(), request->name()), request->replicas());
  if (!object.ok()) {
    return ToGrpcStatus(object.status());
  }
  *response = *std::move(object);
  return grpc::Status::OK;
}

grpc::Status ControllerService::RolloutStatus(
    grpc::ServerContext* context, const apiv1::RolloutStatusRequest* request,
    grpc::ServerWriter<apiv1::RolloutStatusResponse>* writer) {
  application::RolloutStatusQuery query{.key = KeyOf(request->namespace_(), request->name()),
                                        .revision = request->revision(),
                                        .watch = request->watch()};
  return ToGrpcStatus(use_cases_.RolloutStatus(
      query,
      [&](const application::RolloutUpdate& update) {
        apiv1::RolloutStatusResponse response;
        response.set_message(update.state.message);
        response.set_done(update.state.done);
        response.set_failed(update.state.failed);
        *response.mutable_object() = update.object;
        return writer->Write(response);
      },
      [&] { return context->IsCancelled(); }));
}

grpc::Status ControllerService::RolloutHistory(grpc::ServerContext*,
                                               const apiv1::RolloutHistoryRequest* request,
                                               apiv1::RolloutHistoryResponse* response) {
  absl::StatusOr<std::vector<application::HistoryEntry>> history =
      use_cases_.RolloutHistory(KeyOf(request->namespace_(), request->name()), request->revision());
  if (!history.ok()) {
    return ToGrpcStatus(history.status());
  }
  for (application::HistoryEntry& entry : *history) {
    *response->add_revisions() = RevisionToProto(std::move(entry));
  }
  return grpc::Status::OK;
}

grpc::Status ControllerService::RolloutUndo(grpc::ServerContext*,
                                            const apiv1::RolloutUndoRequest* request,
                                            apiv1::RolloutResponse* response) {
  return FromRollout(
      use_cases_.RolloutUndo(KeyOf(request->namespace_(), request->name()), request->to_revision()),
      *response);
}

grpc::Status ControllerService::RolloutPause(grpc::ServerContext*, const apiv1::ObjectName* request,
                                             apiv1::RolloutResponse* response) {
  return FromRollout(use_cases_.RolloutPause(KeyOf(request->namespace_(), request->name())),
                     *response);
}

grpc::Status ControllerService::RolloutResume(grpc::ServerContext*,
                                              const apiv1::ObjectName* request,
                                              apiv1::RolloutResponse* response) {
  return FromRollout(use_cases_.RolloutResume(KeyOf(request->namespace_(), request->name())),
                     *response);
}

grpc::Status ControllerService::RolloutRestart(grpc::ServerContext*,
                                               const apiv1::ObjectName* request,
                                               apiv1::RolloutResponse* response) {
  return FromRollout(use_cases_.RolloutRestart(KeyOf(request->namespace_(), request->name())),
                     *response);
}

grpc::Status ControllerService::Logs(grpc::ServerContext* context,
                                     const apiv1::LogsRequest* request,
                                     grpc::ServerWriter<apiv1::LogChunk>* writer) {
  application::LogsQuery query{.key = KeyOf(request->namespace_(), request->name()),
                               .instance = request->instance(),
                               .offset = request->offset(),
                               .follow = request->follow()};
  return ToGrpcStatus(fleet_.Logs(
      query,
      [&](const std::string& instance, const std::string& host) {
        apiv1::LogChunk first;
        first.set_instance(instance);
        first.set_host(host);
        return writer->Write(first);
      },
      [&](std::string_view data) {
        apiv1::LogChunk chunk;
        chunk.set_data(std::string(data));
        return !context->IsCancelled() && writer->Write(chunk);
      }));
}

grpc::Status ControllerService::Hosts(grpc::ServerContext*, const apiv1::HostsRequest*,
                                      apiv1::HostsResponse* response) {
  absl::StatusOr<std::vector<application::HostView>> hosts = fleet_.Hosts();
  if (!hosts.ok()) {
    return ToGrpcStatus(hosts.status());
  }
  for (const application::HostView& host : *hosts) {
    *response->add_hosts() = HostToProto(host);
  }
  return grpc::Status::OK;
}

grpc::Status ControllerService::Events(grpc::ServerContext*, const apiv1::EventsRequest* request,
                                       apiv1::EventsResponse* response) {
  ports::EventFilter filter{.ns = NamespaceOf(request->namespace_(), request->all_namespaces())};
  if (!request->name().empty()) {
    filter.name = request->name();
  }
  absl::StatusOr<std::vector<ports::EventRecord>> events = use_cases_.Events(filter);
  if (!events.ok()) {
    return ToGrpcStatus(events.status());
  }
  for (const ports::EventRecord& event : *events) {
    *response->add_events() = EventToProto(event);
  }
  return grpc::Status::OK;
}

grpc::Status ControllerService::StatArtifact(grpc::ServerContext*,
                                             const apiv1::StatArtifactRequest* request,
                                             apiv1::StatArtifactResponse* response) {
  absl::StatusOr<std::optional<int64_t>> size = use_cases_.StatArtifact(request->sha256());
  if (!size.ok()) {
    return ToGrpcStatus(size.status());
  }
  response->set_present(size->has_value());
  response->set_size(size->value_or(0));
  return grpc::Status::OK;
}

grpc::Status ControllerService::UploadArtifact(
    grpc::ServerContext*, grpc::ServerReader<apiv1::UploadArtifactRequest>* reader,
    apiv1::UploadArtifactResponse* response) {
  apiv1::UploadArtifactRequest message;
  if (!reader->Read(&message)) {
    return ToGrpcStatus(
        absl::InvalidArgumentError("an upload needs at least one message naming its sha256"));
  }
  std::string digest = message.sha256();
  bool first = true;
  absl::StatusOr<int64_t> size = use_cases_.UploadArtifact(digest, [&](std::string& chunk) {
    if (!first && !reader->Read(&message)) {
      return false;
    }
    first = false;
    chunk = std::move(*message.mutable_data());
    return true;
  });
  if (!size.ok()) {
    return ToGrpcStatus(size.status());
  }
  response->set_sha256(digest);
  response->set_size(*size);
  return grpc::Status::OK;
}

}  // namespace nanoplane::controller::api
