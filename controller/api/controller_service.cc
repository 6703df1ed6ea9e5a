#include "controller/api/controller_service.h"

#include <map>
#include <set>

#include "common/status.h"
#include "common/strings.h"
#include "controller/api/apply.h"
#include "controller/api/rollout.h"
#include "controller/core/convert.h"
#include "google/protobuf/util/message_differencer.h"

namespace nanoplane::controller::api {
namespace {

namespace pb = ::nanoplane::v1alpha1;

ports::ObjectKey KeyOfObject(const pb::Unikernel& object) {
  return KeyOf(object.metadata().namespace_(), object.metadata().name());
}

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

apiv1::Host HostFromSession(const ports::HostSession& session) {
  apiv1::Host host;
  host.set_name(session.host);
  host.set_state(session.connected ? "Ready" : "NotReady");
  host.set_accelerator(AcceleratorName(session.hello.accelerator()));
  host.set_cpus(session.hello.capacity().cpus());
  host.set_memory_bytes(session.hello.capacity().memory_bytes());
  host.set_instances(static_cast<int32_t>(session.instances.size()));
  host.mutable_labels()->insert(session.hello.labels().begin(), session.hello.labels().end());
  host.set_connected(session.connected);
  host.set_connected_at(core::FormatTimestamp(session.connected_at));
  host.set_last_seen(core::FormatTimestamp(session.last_seen));
  host.set_agent_version(session.hello.agent_version());
  return host;
}

// The registry's record is the reconciler's view (state after the grace
// period); the hub adds what only the agent knows.
void MergeRecord(const ports::HostRecord& record, apiv1::Host& host) {
  host.set_name(record.name);
  host.set_state(ports::HostStateName(record.state));
  if (host.cpus() == 0) {
    host.set_cpus(static_cast<int32_t>(record.cpus));
    host.set_memory_bytes(record.memory_bytes);
  }
  host.mutable_labels()->insert(record.labels.begin(), record.labels.end());
  if (host.last_seen().empty()) {
    host.set_last_seen(core::FormatTimestamp(record.last_seen));
  }
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

bool Deleting(const pb::Unikernel& object) {
  return !object.metadata().deletion_timestamp().empty();
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) {
    return grpc::Status::OK;
  }
  return {static_cast<grpc::StatusCode>(status.code()), std::string(status.message())};
}

ControllerService::ControllerService(ports::Store& store, ports::ArtifactStore& artifacts,
                                     ports::AgentHub& hub, ControllerServiceOptions options)
    : store_(store), artifacts_(artifacts), hub_(hub), options_(std::move(options)) {}

absl::StatusOr<pb::Unikernel> ControllerService::Modify(const ports::ObjectKey& key,
                                                        const Mutation& mutate) {
  absl::Status last;
  for (int attempt = 0; attempt <= options_.max_conflict_retries; ++attempt) {
    NP_ASSIGN_OR_RETURN(pb::Unikernel object, store_.Get(key));
    object.clear_status();
    NP_RETURN_IF_ERROR(mutate(object));
    absl::StatusOr<pb::Unikernel> updated = store_.Update(object);
    if (updated.status().code() != absl::StatusCode::kAborted) {
      return updated;
    }
    last = updated.status();
  }
  return last;
}

absl::Status ControllerService::StoreBlob(const std::string& digest, std::string_view data) {
  NP_ASSIGN_OR_RETURN(std::unique_ptr<ports::BlobWriter> writer, artifacts_.StartPut(digest));
  NP_RETURN_IF_ERROR(writer->Append(data));
  NP_ASSIGN_OR_RETURN(int64_t size, writer->Commit());
  return store_.PutArtifact({.digest = digest, .size = size, .created_time = options_.now()});
}

absl::Status ControllerService::CheckApply(const apiv1::ApplyRequest& request,
                                           std::vector<pb::Unikernel>& prepared) {
  std::vector<std::string> messages;
  std::set<ports::ObjectKey> seen;
  for (const pb::Unikernel& in : request.objects()) {
    pb::Unikernel object = PrepareApplied(in);
    FieldErrors errors = ValidateApplied(object);
    for (const ArtifactReference& ref : ArtifactReferences(object.spec().template_())) {
      NP_ASSIGN_OR_RETURN(bool present, artifacts_.Has(ref.digest));
      if (!present) {
        errors.push_back({ref.path, StrCat("no artifact ", ref.digest,
                                           " in the controller's artifact store; upload it")});
      }
    }
    ports::ObjectKey key = KeyOfObject(object);
    if (!seen.insert(key).second) {
      errors.push_back({"metadata.name", "is applied twice in one request"});
    }
    absl::StatusOr<pb::Unikernel> stored = store_.Get(key);
    if (stored.ok() && Deleting(*stored)) {
      errors.push_back({"metadata.deletionTimestamp",
                        "the object is being deleted; apply again once it is gone"});
    } else if (!stored.ok() && stored.status().code() != absl::StatusCode::kNotFound) {
      return stored.status();
    }
    if (!errors.empty()) {
      messages.push_back(FormatObjectErrors(object, errors));
    }
    prepared.push_back(std::move(object));
  }
  if (!messages.empty()) {
    return absl::InvalidArgumentError(StrJoin(messages, "\n"));
  }
  return absl::OkStatus();
}

absl::StatusOr<apiv1::ApplyResult> ControllerService::ApplyOne(const pb::Unikernel& prepared,
                                                               const pb::Unikernel& sent,
                                                               bool dry_run) {
  ports::ObjectKey key = KeyOfObject(prepared);
  apiv1::ApplyResult result;
  result.set_namespace_(key.ns);
  result.set_name(key.name);
  absl::Status last;
  for (int attempt = 0; attempt <= options_.max_conflict_retries; ++attempt) {
    absl::StatusOr<pb::Unikernel> stored = store_.Get(key);
    absl::StatusOr<pb::Unikernel> written;
    if (stored.status().code() == absl::StatusCode::kNotFound) {
      result.set_action(apiv1::CREATED);
      written = dry_run ? PrepareCreate(prepared) : store_.Create(PrepareCreate(prepared));
    } else if (stored.ok()) {
      pb::Unikernel merged = MergeForApply(*stored, prepared, sent);
      stored->clear_status();
      // Equal objects skip the write (a GitOps resync applies everything);
      // otherwise the store decides: a write that changes nothing keeps the
      // resourceVersion.
      bool same = google::protobuf::util::MessageDifferencer::Equals(merged, *stored);
      written = dry_run || same ? merged : store_.Update(merged);
      bool changed =
          !same && (dry_run || (written.ok() && written->metadata().resource_version() !=
                                                    stored->metadata().resource_version()));
      result.set_action(changed ? apiv1::CONFIGURED : apiv1::UNCHANGED);
    } else {
      return stored.status();
    }
    if (written.ok()) {
      result.set_generation(written->metadata().generation());
      *result.mutable_object() = *std::move(written);
      return result;
    }
    // Another writer got there first (create) or in between (update): read again.
    if (written.status().code() != absl::StatusCode::kAborted &&
        written.status().code() != absl::StatusCode::kAlreadyExists) {
      return written.status();
    }
    last = written.status();
  }
  return last;
}

// The blobs this Unikernel needs stay referenced while a revision (for undo)
// may still use them.
absl::Status ControllerService::ReferenceArtifacts(const pb::Unikernel& object) {
  ports::ObjectKey key = KeyOfObject(object);
  std::set<std::string> digests = ReferencedDigests(object.spec().template_());
  NP_ASSIGN_OR_RETURN(std::vector<ports::RevisionRecord> revisions, store_.ListRevisions(key));
  for (const ports::RevisionRecord& revision : revisions) {
    absl::StatusOr<pb::UnikernelTemplate> tmpl = TemplateOf(revision);
    if (tmpl.ok()) {
      digests.merge(ReferencedDigests(*tmpl));
    }
  }
  return store_.SetArtifactReferences(ports::ToString(key), digests);
}

grpc::Status ControllerService::Apply(grpc::ServerContext*, const apiv1::ApplyRequest* request,
                                      apiv1::ApplyResponse* response) {
  for (const apiv1::InlineArtifact& artifact : request->artifacts()) {
    if (absl::Status stored = StoreBlob(artifact.sha256(), artifact.data()); !stored.ok()) {
      return ToGrpcStatus(Annotate(stored, StrCat("artifact ", artifact.sha256())));
    }
  }
  std::vector<pb::Unikernel> prepared;
  if (absl::Status checked = CheckApply(*request, prepared); !checked.ok()) {
    return ToGrpcStatus(checked);
  }
  for (size_t i = 0; i < prepared.size(); ++i) {
    const pb::Unikernel& object = prepared[i];
    absl::StatusOr<apiv1::ApplyResult> result =
        ApplyOne(object, request->objects(static_cast<int>(i)), request->dry_run());
    if (!result.ok()) {
      return ToGrpcStatus(Annotate(result.status(), ports::ToString(KeyOfObject(object))));
    }
    if (!request->dry_run()) {
      if (absl::Status referenced = ReferenceArtifacts(object); !referenced.ok()) {
        return ToGrpcStatus(referenced);
      }
    }
    *response->add_results() = *std::move(result);
  }
  return grpc::Status::OK;
}

grpc::Status ControllerService::Get(grpc::ServerContext*, const apiv1::GetRequest* request,
                                    pb::Unikernel* response) {
  absl::StatusOr<pb::Unikernel> object = store_.Get(KeyOf(request->namespace_(), request->name()));
  if (!object.ok()) {
    return ToGrpcStatus(object.status());
  }
  *response = *std::move(object);
  return grpc::Status::OK;
}

grpc::Status ControllerService::List(grpc::ServerContext*, const apiv1::ListRequest* request,
                                     apiv1::ListResponse* response) {
  absl::StatusOr<LabelSelector> selector = ParseLabelSelector(request->label_selector());
  if (!selector.ok()) {
    return ToGrpcStatus(selector.status());
  }
  ports::ListOptions options;
  if (!request->all_namespaces()) {
    options.ns = KeyOf(request->namespace_(), "").ns;
  }
  absl::StatusOr<ports::UnikernelList> list = store_.List(options);
  if (!list.ok()) {
    return ToGrpcStatus(list.status());
  }
  for (pb::Unikernel& object : list->items) {
    const auto& labels = object.metadata().labels();
    if (Matches(*selector, ports::Labels(labels.begin(), labels.end()))) {
      *response->add_items() = std::move(object);
    }
  }
  response->set_resource_version(list->resource_version);
  return grpc::Status::OK;
}

grpc::Status ControllerService::Delete(grpc::ServerContext*, const apiv1::DeleteRequest* request,
                                       apiv1::DeleteResponse* response) {
  ports::ObjectKey key = KeyOf(request->namespace_(), request->name());
  absl::StatusOr<pb::Unikernel> object =
      store_.Delete(key, {.resource_version = request->resource_version()});
  if (!object.ok()) {
    return ToGrpcStatus(object.status());
  }
  // The object is gone unless a finalizer keeps it (the reconciler stops its
  // instances first).
  response->set_gone(store_.Get(key).status().code() == absl::StatusCode::kNotFound);
  *response->mutable_object() = *std::move(object);
  return grpc::Status::OK;
}

grpc::Status ControllerService::Scale(grpc::ServerContext*, const apiv1::ScaleRequest* request,
                                      pb::Unikernel* response) {
  absl::StatusOr<pb::Unikernel> object =
      Modify(KeyOf(request->namespace_(), request->name()), [&](pb::Unikernel& u) {
        u.mutable_spec()->set_replicas(request->replicas());
        FieldErrors errors;
        for (FieldError& error : ValidateApplied(u)) {
          if (error.path == "spec.replicas") {
            errors.push_back(std::move(error));
          }
        }
        return errors.empty() ? absl::OkStatus()
                              : absl::InvalidArgumentError(FormatObjectErrors(u, errors));
      });
  if (!object.ok()) {
    return ToGrpcStatus(object.status());
  }
  *response = *std::move(object);
  return grpc::Status::OK;
}

grpc::Status ControllerService::Hosts(grpc::ServerContext*, const apiv1::HostsRequest*,
                                      apiv1::HostsResponse* response) {
  std::map<std::string, apiv1::Host> hosts;
  for (const ports::HostSession& session : hub_.Hosts()) {
    hosts[session.host] = HostFromSession(session);
  }
  absl::StatusOr<std::vector<ports::HostRecord>> records = store_.ListHosts();
  if (!records.ok()) {
    return ToGrpcStatus(records.status());
  }
  for (const ports::HostRecord& record : *records) {
    MergeRecord(record, hosts[record.name]);
  }
  for (auto& [name, host] : hosts) {
    *response->add_hosts() = std::move(host);
  }
  return grpc::Status::OK;
}

grpc::Status ControllerService::Events(grpc::ServerContext*, const apiv1::EventsRequest* request,
                                       apiv1::EventsResponse* response) {
  ports::EventFilter filter;
  if (!request->all_namespaces()) {
    filter.ns = KeyOf(request->namespace_(), "").ns;
  }
  if (!request->name().empty()) {
    filter.name = request->name();
  }
  absl::StatusOr<std::vector<ports::EventRecord>> events = store_.ListEvents(filter);
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
  absl::StatusOr<bool> present = artifacts_.Has(request->sha256());
  if (!present.ok()) {
    return ToGrpcStatus(present.status());
  }
  response->set_present(*present);
  if (*present) {
    absl::StatusOr<int64_t> size = artifacts_.Size(request->sha256());
    response->set_size(size.ok() ? *size : 0);
  }
  return grpc::Status::OK;
}

}  // namespace nanoplane::controller::api
