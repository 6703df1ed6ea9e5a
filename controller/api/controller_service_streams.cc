// ControllerService: the streaming calls (watch, rollout status, logs, upload).

#include <algorithm>

#include "common/status.h"
#include "common/strings.h"
#include "controller/api/apply.h"
#include "controller/api/controller_service.h"
#include "controller/api/rollout.h"

namespace nanoplane::controller::api {
namespace {

namespace pb = ::nanoplane::v1alpha1;

apiv1::EventType EventTypeOf(ports::WatchEventType type) {
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

absl::Status ClientGone() { return absl::CancelledError("the client went away"); }

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

absl::Status ControllerService::StreamWatch(grpc::ServerContext& context,
                                            const apiv1::WatchRequest& request,
                                            grpc::ServerWriter<apiv1::WatchEvent>& writer) {
  std::optional<std::string> ns;
  if (!request.all_namespaces()) {
    ns = KeyOf(request.namespace_(), "").ns;
  }
  auto wanted = [&](const pb::Unikernel& object) {
    return request.name().empty() || object.metadata().name() == request.name();
  };
  std::string version = request.resource_version();
  if (version.empty()) {
    NP_ASSIGN_OR_RETURN(ports::UnikernelList list, store_.List({.ns = ns}));
    for (pb::Unikernel& object : list.items) {
      apiv1::WatchEvent event;
      event.set_type(apiv1::ADDED);
      *event.mutable_object() = std::move(object);
      if (wanted(event.object()) && !writer.Write(event)) {
        return ClientGone();
      }
    }
    version = list.resource_version;
  }
  NP_ASSIGN_OR_RETURN(std::unique_ptr<ports::Watcher> watcher,
                      store_.Watch({.resource_version = version, .ns = ns}));
  while (!context.IsCancelled()) {
    NP_ASSIGN_OR_RETURN(std::vector<ports::WatchEvent> events,
                        watcher->Next(absl::Now() + options_.poll_interval));
    for (ports::WatchEvent& change : events) {
      apiv1::WatchEvent event;
      event.set_type(EventTypeOf(change.type));
      *event.mutable_object() = std::move(change.object);
      if (wanted(event.object()) && !writer.Write(event)) {
        return ClientGone();
      }
    }
  }
  return ClientGone();
}

grpc::Status ControllerService::Watch(grpc::ServerContext* context,
                                      const apiv1::WatchRequest* request,
                                      grpc::ServerWriter<apiv1::WatchEvent>* writer) {
  return ToGrpcStatus(StreamWatch(*context, *request, *writer));
}

absl::Status ControllerService::StreamRolloutStatus(
    grpc::ServerContext& context, const apiv1::RolloutStatusRequest& request,
    grpc::ServerWriter<apiv1::RolloutStatusResponse>& writer) {
  ports::ObjectKey key = KeyOf(request.namespace_(), request.name());
  NP_ASSIGN_OR_RETURN(pb::Unikernel object, store_.Get(key));
  std::string last_message;
  auto send = [&](const pb::Unikernel& current) {
    RolloutState state = RolloutStateOf(current, request.revision());
    if (state.message != last_message) {
      last_message = state.message;
      apiv1::RolloutStatusResponse response;
      response.set_message(state.message);
      response.set_done(state.done);
      response.set_failed(state.failed);
      *response.mutable_object() = current;
      if (!writer.Write(response)) {
        return true;
      }
    }
    return state.done || state.failed || !request.watch();
  };
  if (send(object)) {
    return absl::OkStatus();
  }
  NP_ASSIGN_OR_RETURN(
      std::unique_ptr<ports::Watcher> watcher,
      store_.Watch({.resource_version = object.metadata().resource_version(), .ns = key.ns}));
  while (!context.IsCancelled()) {
    NP_ASSIGN_OR_RETURN(std::vector<ports::WatchEvent> events,
                        watcher->Next(absl::Now() + options_.poll_interval));
    for (const ports::WatchEvent& event : events) {
      if (event.object.metadata().name() != key.name) {
        continue;
      }
      if (event.type == ports::WatchEventType::kDeleted) {
        return absl::NotFoundError(StrCat("unikernel \"", key.name, "\" was deleted"));
      }
      if (send(event.object)) {
        return absl::OkStatus();
      }
    }
  }
  return ClientGone();
}

grpc::Status ControllerService::RolloutStatus(
    grpc::ServerContext* context, const apiv1::RolloutStatusRequest* request,
    grpc::ServerWriter<apiv1::RolloutStatusResponse>* writer) {
  return ToGrpcStatus(StreamRolloutStatus(*context, *request, *writer));
}

absl::Status ControllerService::StreamLogs(grpc::ServerContext& context,
                                           const apiv1::LogsRequest& request,
                                           grpc::ServerWriter<apiv1::LogChunk>& writer) {
  NP_ASSIGN_OR_RETURN(pb::Unikernel object,
                      store_.Get(KeyOf(request.namespace_(), request.name())));
  std::vector<InstanceLocation> instances = FindInstances(hub_.Hosts(), object);
  auto it = std::find_if(instances.begin(), instances.end(), [&](const InstanceLocation& i) {
    return request.instance().empty() || i.name == request.instance();
  });
  if (it == instances.end()) {
    return absl::NotFoundError(
        request.instance().empty()
            ? StrCat("unikernel \"", request.name(), "\" has no instances")
            : StrCat("unikernel \"", request.name(), "\" has no instance ", request.instance()));
  }
  apiv1::LogChunk first;
  first.set_instance(it->name);
  first.set_host(it->host);
  if (!writer.Write(first)) {
    return ClientGone();
  }
  return hub_.StreamLogs(it->host, it->name, request.offset(), request.follow(),
                         [&](std::string_view data) {
                           apiv1::LogChunk chunk;
                           chunk.set_data(std::string(data));
                           return !context.IsCancelled() && writer.Write(chunk);
                         });
}

grpc::Status ControllerService::Logs(grpc::ServerContext* context,
                                     const apiv1::LogsRequest* request,
                                     grpc::ServerWriter<apiv1::LogChunk>* writer) {
  return ToGrpcStatus(StreamLogs(*context, *request, *writer));
}

absl::Status ControllerService::ReceiveUpload(
    grpc::ServerReader<apiv1::UploadArtifactRequest>& reader,
    apiv1::UploadArtifactResponse& response) {
  apiv1::UploadArtifactRequest message;
  if (!reader.Read(&message)) {
    return absl::InvalidArgumentError("an upload needs at least one message naming its sha256");
  }
  std::string digest = message.sha256();
  NP_ASSIGN_OR_RETURN(std::unique_ptr<ports::BlobWriter> blob, artifacts_.StartPut(digest));
  do {
    NP_RETURN_IF_ERROR(blob->Append(message.data()));
  } while (reader.Read(&message));
  NP_ASSIGN_OR_RETURN(int64_t size, blob->Commit());
  NP_RETURN_IF_ERROR(
      store_.PutArtifact({.digest = digest, .size = size, .created_time = options_.now()}));
  response.set_sha256(digest);
  response.set_size(size);
  return absl::OkStatus();
}

grpc::Status ControllerService::UploadArtifact(
    grpc::ServerContext*, grpc::ServerReader<apiv1::UploadArtifactRequest>* reader,
    apiv1::UploadArtifactResponse* response) {
  return ToGrpcStatus(ReceiveUpload(*reader, *response));
}

}  // namespace nanoplane::controller::api
