#pragma once

// ControllerService: the controller's gRPC API (proto/nanoplane/api/v1/controller.proto).
// Thin: each call converts its request, runs the use case (application/) and
// converts the result and the absl::Status back. Streaming calls end when the
// client cancels or the server shuts down; they notice within the use cases'
// `poll_interval`.
//
// Thread-safe (gRPC calls it from many threads); the ports must be too, and
// must outlive it.

#include <functional>

#include "controller/application/fleet_use_cases.h"
#include "controller/application/use_cases.h"
#include "controller/ports/agent_hub.h"
#include "controller/ports/artifact_store.h"
#include "controller/ports/store.h"
#include "grpcpp/grpcpp.h"
#include "nanoplane/api/v1/controller.grpc.pb.h"

namespace nanoplane::controller::api {

namespace apiv1 = ::nanoplane::api::v1;

class ControllerService : public apiv1::Controller::Service {
 public:
  // The use cases must outlive the service.
  ControllerService(application::UseCases& use_cases, application::FleetUseCases& fleet);

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
  application::UseCases& use_cases_;
  application::FleetUseCases& fleet_;
};

// The gRPC status for an absl::Status: the codes are the same numbers.
grpc::Status ToGrpcStatus(const absl::Status& status);
// And back, for clients of the API that speak absl::Status.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace nanoplane::controller::api
