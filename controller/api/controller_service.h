#pragma once

// ControllerService: the controller's API (proto/nanoplane/api/v1/controller.proto)
// over the Store, the ArtifactStore and the AgentHub. Thin: the decisions are
// the pure functions of apply.h and rollout.h; this class reads and writes the
// ports around them and maps absl::Status to grpc::Status at the boundary.
//
// - Apply validates every object (and checks that every artifact it names is
//   stored) before it writes any. Writes use the stored resourceVersion and
//   are retried on a conflict (Aborted) up to `max_conflict_retries` times.
// - The verbs that change one field (scale, pause, resume, restart, undo) are
//   read-modify-write with the same retries.
// - Streaming calls (Watch, RolloutStatus, Logs) end when the client cancels
//   or the server shuts down; they notice within `poll_interval`.
//
// Thread-safe (gRPC calls it from many threads); the ports must be too, and
// must outlive it.

#include <functional>

#include "absl/time/time.h"
#include "controller/ports/agent_hub.h"
#include "controller/ports/artifact_store.h"
#include "controller/ports/store.h"
#include "grpcpp/grpcpp.h"
#include "nanoplane/api/v1/controller.grpc.pb.h"

namespace nanoplane::controller::api {

namespace apiv1 = ::nanoplane::api::v1;

struct ControllerServiceOptions {
  int max_conflict_retries = 5;
  absl::Duration poll_interval = absl::Milliseconds(200);
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

class ControllerService : public apiv1::Controller::Service {
 public:
  ControllerService(ports::Store& store, ports::ArtifactStore& artifacts, ports::AgentHub& hub,
                    ControllerServiceOptions options = {});

  // apiv1::Controller::Service
  grpc::Status Apply(grpc::ServerContext* context, const apiv1::ApplyRequest* request,
                     apiv1::ApplyResponse* response) override;
  grpc::Status Get(grpc::ServerContext* context, const apiv1::GetRequest* request,
                   v1alpha1::Unikernel* response) override;
  grpc::Status List(grpc::ServerContext* context, const apiv1::ListRequest* request,
                    apiv1::ListResponse* response) override;
  grpc::Status Watch(grpc::ServerContext* context, const apiv1::WatchRequest* request,
                     grpc::ServerWriter<apiv1::WatchEvent>* writer) override;
  grpc::Status Delete(grpc::ServerContext* context, const apiv1::DeleteRequest* request,
                      apiv1::DeleteResponse* response) override;
  grpc::Status Scale(grpc::ServerContext* context, const apiv1::ScaleRequest* request,
                     v1alpha1::Unikernel* response) override;
  grpc::Status RolloutStatus(grpc::ServerContext* context,
                             const apiv1::RolloutStatusRequest* request,
                             grpc::ServerWriter<apiv1::RolloutStatusResponse>* writer) override;
  grpc::Status RolloutHistory(grpc::ServerContext* context,
                              const apiv1::RolloutHistoryRequest* request,
                              apiv1::RolloutHistoryResponse* response) override;
  grpc::Status RolloutUndo(grpc::ServerContext* context, const apiv1::RolloutUndoRequest* request,
                           apiv1::RolloutResponse* response) override;
  grpc::Status RolloutPause(grpc::ServerContext* context, const apiv1::ObjectName* request,
                            apiv1::RolloutResponse* response) override;
  grpc::Status RolloutResume(grpc::ServerContext* context, const apiv1::ObjectName* request,
                             apiv1::RolloutResponse* response) override;
  grpc::Status RolloutRestart(grpc::ServerContext* context, const apiv1::ObjectName* request,
                              apiv1::RolloutResponse* response) override;
  grpc::Status Logs(grpc::ServerContext* context, const apiv1::LogsRequest* request,
                    grpc::ServerWriter<apiv1::LogChunk>* writer) override;
  grpc::Status Hosts(grpc::ServerContext* context, const apiv1::HostsRequest* request,
                     apiv1::HostsResponse* response) override;
  grpc::Status Events(grpc::ServerContext* context, const apiv1::EventsRequest* request,
                      apiv1::EventsResponse* response) override;
  grpc::Status StatArtifact(grpc::ServerContext* context, const apiv1::StatArtifactRequest* request,
                            apiv1::StatArtifactResponse* response) override;
  grpc::Status UploadArtifact(grpc::ServerContext* context,
                              grpc::ServerReader<apiv1::UploadArtifactRequest>* reader,
                              apiv1::UploadArtifactResponse* response) override;

 private:
  using Mutation = std::function<absl::Status(v1alpha1::Unikernel&)>;

  // Get, `mutate`, Update with the read resourceVersion; again on a conflict.
  absl::StatusOr<v1alpha1::Unikernel> Modify(const ports::ObjectKey& key, const Mutation& mutate);
  absl::Status CheckApply(const apiv1::ApplyRequest& request,
                          std::vector<v1alpha1::Unikernel>& prepared);
  // `sent` is the client's object, `prepared` the same defaulted.
  absl::StatusOr<apiv1::ApplyResult> ApplyOne(const v1alpha1::Unikernel& prepared,
                                              const v1alpha1::Unikernel& sent, bool dry_run);
  absl::Status ReferenceArtifacts(const v1alpha1::Unikernel& object);
  absl::Status StoreBlob(const std::string& digest, std::string_view data);
  absl::Status Undo(const apiv1::RolloutUndoRequest& request, apiv1::RolloutResponse& response);
  absl::Status StreamRolloutStatus(grpc::ServerContext& context,
                                   const apiv1::RolloutStatusRequest& request,
                                   grpc::ServerWriter<apiv1::RolloutStatusResponse>& writer);
  absl::Status StreamWatch(grpc::ServerContext& context, const apiv1::WatchRequest& request,
                           grpc::ServerWriter<apiv1::WatchEvent>& writer);
  absl::Status StreamLogs(grpc::ServerContext& context, const apiv1::LogsRequest& request,
                          grpc::ServerWriter<apiv1::LogChunk>& writer);
  absl::Status ReceiveUpload(grpc::ServerReader<apiv1::UploadArtifactRequest>& reader,
                             apiv1::UploadArtifactResponse& response);

  ports::Store& store_;
  ports::ArtifactStore& artifacts_;
  ports::AgentHub& hub_;
  const ControllerServiceOptions options_;
};

// The gRPC status for an absl::Status: the codes are the same numbers.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace nanoplane::controller::api
