#pragma once

// The whole controller in one object: the embedded store (SQLite) and artifact
// store in a data directory, the agent hub (gRPC), the reconcile loops, the
// controller API for the CLI (gRPC), and /healthz, /readyz, /metrics. Used by
// `nanoplane-controller` and by `nanoplane up`.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/file_lock.h"
#include "common/http/http_endpoints.h"
#include "common/metrics.h"
#include "controller/adapters/fs_artifact_store.h"
#include "controller/adapters/grpc_agent_hub.h"
#include "controller/adapters/sqlite_store.h"
#include "controller/api/controller_service.h"
#include "controller/app/controller.h"
#include "controller/application/artifact_gc.h"
#include "controller/manifests/manifest_syncer.h"
#include "grpcpp/grpcpp.h"

namespace nanoplane::controller {

struct ControllerServerOptions {
  std::string data_dir;                                     // store.db and artifacts/
  std::string api_address = "127.0.0.1:7443";               // the CLI's controller API
  std::string agent_address = "127.0.0.1:7444";             // where agents connect
  std::string metrics_address = "127.0.0.1:0";              // empty: no HTTP endpoints
  std::string join_token;                                   // agents must present it
  std::string tls_cert_file, tls_key_file, client_ca_file;  // for the agent hub
  absl::Duration host_grace_period = absl::Seconds(40);
  absl::Duration eviction_timeout = absl::Minutes(5);
  // Unreferenced blobs older than the minimum age go every interval.
  application::ArtifactCollectorOptions artifact_gc;
  // A manifests directory (GitOps) kept applied; empty: none. Re-read on
  // change and every `manifests_resync`.
  std::string manifests_dir;
  absl::Duration manifests_resync = absl::Seconds(30);
};

class ControllerServer {
 public:
  // Opens the stores, starts serving and the loops. InvalidArgument for bad
  // options, Unavailable when an address cannot be bound, FailedPrecondition
  // for a store written by a newer nanoplane.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ControllerServer>> Start(
      ControllerServerOptions options);
  ~ControllerServer();  // stops everything; VMs keep running on their hosts

  std::string api_address() const { return api_address_; }
  std::string agent_address() const { return hub_->address(); }
  std::string metrics_address() const { return endpoints_ ? endpoints_->address() : ""; }
  bool ready() const { return controller_->Ready(); }

 private:
  ControllerServer() = default;

  std::unique_ptr<FileLock> data_dir_lock_;  // held while the server lives
  MetricsRegistry metrics_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<FsArtifactStore> artifacts_;
  std::unique_ptr<GrpcAgentHub> hub_;
  std::unique_ptr<app::Controller> controller_;
  std::unique_ptr<application::UseCases> use_cases_;
  std::unique_ptr<application::FleetUseCases> fleet_;
  std::unique_ptr<api::ControllerService> service_;
  std::unique_ptr<grpc::Server> api_server_;
  std::unique_ptr<HttpEndpoints> endpoints_;
  std::unique_ptr<application::ArtifactCollector> collector_;
  std::unique_ptr<manifests::ManifestSyncer> manifests_;
  std::string api_address_;
};

}  // namespace nanoplane::controller
