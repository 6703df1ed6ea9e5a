#include "controller/server/controller_server.h"

#include "common/file_lock.h"
#include "common/log.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::controller {

absl::StatusOr<std::unique_ptr<ControllerServer>> ControllerServer::Start(
    ControllerServerOptions options) {
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("the controller needs a data directory");
  }
  std::unique_ptr<ControllerServer> server(new ControllerServer());
  // Two controllers over one store would both assign every instance.
  NP_ASSIGN_OR_RETURN(
      server->data_dir_lock_,
      FileLock::ForDirectory(options.data_dir, "controller.lock", "data directory"));
  NP_ASSIGN_OR_RETURN(server->store_, SqliteStore::Open({.data_dir = options.data_dir}));
  NP_ASSIGN_OR_RETURN(server->artifacts_, FsArtifactStore::Open(options.data_dir + "/artifacts"));
  NP_ASSIGN_OR_RETURN(server->hub_, GrpcAgentHub::Start({.address = options.agent_address,
                                                         .join_token = options.join_token,
                                                         .tls_cert_file = options.tls_cert_file,
                                                         .tls_key_file = options.tls_key_file,
                                                         .client_ca_file = options.client_ca_file,
                                                         .artifacts = server->artifacts_.get()}));
  app::ControllerOptions controller_options;
  controller_options.host_grace_period = options.host_grace_period;
  controller_options.eviction_timeout = options.eviction_timeout;
  server->controller_ = std::make_unique<app::Controller>(*server->store_, *server->hub_,
                                                          server->metrics_, controller_options);
  server->use_cases_ =
      std::make_unique<application::UseCases>(*server->store_, *server->artifacts_);
  server->fleet_ = std::make_unique<application::FleetUseCases>(*server->store_, *server->hub_);
  server->service_ = std::make_unique<api::ControllerService>(*server->use_cases_, *server->fleet_);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.api_address, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(server->service_.get());
  builder.SetMaxReceiveMessageSize(256 << 20);
  server->api_server_ = builder.BuildAndStart();
  if (!server->api_server_ || port == 0) {
    return absl::UnavailableError(StrCat("controller API: cannot listen on ", options.api_address));
  }
  server->api_address_ =
      StrCat(options.api_address.substr(0, options.api_address.rfind(':')), ":", port);
  if (!options.metrics_address.empty()) {
    app::Controller* controller = server->controller_.get();
    NP_ASSIGN_OR_RETURN(
        server->endpoints_,
        HttpEndpoints::Start({.address = options.metrics_address,
                              .ready = [controller] { return controller->ReadyReason(); }},
                             server->metrics_));
  }
  server->controller_->Start();
  server->collector_ = std::make_unique<application::ArtifactCollector>(
      *server->store_, *server->artifacts_, options.artifact_gc);
  if (!options.manifests_dir.empty()) {
    NP_ASSIGN_OR_RETURN(server->manifests_, manifests::ManifestSyncer::Start(
                                                {.dir = options.manifests_dir,
                                                 .resync_interval = options.manifests_resync},
                                                *server->store_, *server->use_cases_));
  }
  Log(LogLevel::kInfo, "controller started",
      {{"api", server->api_address_},
       {"agents", server->hub_->address()},
       {"data_dir", options.data_dir}});
  return server;
}

ControllerServer::~ControllerServer() {
  // The API and the loops stop before the stores they use go away.
  manifests_.reset();
  if (api_server_) {
    api_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
  if (controller_) {
    controller_->Stop();
  }
  collector_.reset();
  endpoints_.reset();
  hub_.reset();
}

}  // namespace nanoplane::controller
