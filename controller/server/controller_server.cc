#include "controller/server/controller_server.h"

#include <unistd.h>

#include <cstdlib>

#include "common/log.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::controller {
namespace {

std::string DefaultIdentity() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return StrCat(host, "-", getpid());
}

// A kubeconfig when one is named or found; the pod's service account when
// there is none and the process runs in a pod.
absl::StatusOr<kube::KubeConfig> KubeConfigFor(const KubernetesStoreOptions& options) {
  const char* in_cluster = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* kubeconfig_env = std::getenv("KUBECONFIG");
  bool named =
      !options.config.kubeconfig.empty() || (kubeconfig_env != nullptr && *kubeconfig_env != '\0');
  if (!named && in_cluster != nullptr && *in_cluster != '\0') {
    return kube::InClusterConfig();
  }
  return kube::LoadKubeConfig(options.config);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ControllerServer>> ControllerServer::Start(
    ControllerServerOptions options) {
  if (options.leader_elect && options.election.identity.empty()) {
    options.election.identity = DefaultIdentity();
  }
  std::unique_ptr<ControllerServer> server(new ControllerServer(std::move(options)));
  const ControllerServerOptions& o = server->options_;
  // Two controllers over one data directory would both assign every instance
  // (and share one artifact index).
  NP_ASSIGN_OR_RETURN(server->data_dir_lock_,
                      FileLock::ForDirectory(o.data_dir, "controller.lock", "data directory"));
  NP_RETURN_IF_ERROR(server->OpenStore());
  if (!o.metrics_address.empty()) {
    ControllerServer* self = server.get();
    NP_ASSIGN_OR_RETURN(server->endpoints_,
                        HttpEndpoints::Start({.address = o.metrics_address,
                                              .ready = [self] { return self->ReadyReason(); }},
                                             server->metrics_));
  }
  if (!o.leader_elect) {
    NP_RETURN_IF_ERROR(server->StartActive());
    return server;
  }
  server->elector_ = std::make_unique<app::LeaderElector>(*server->store_, o.election);
  ControllerServer* self = server.get();
  server->elector_->Start(
      [self] {
        if (absl::Status started = self->StartActive(); !started.ok()) {
          // Leading without serving would hold the lease for nothing.
          Log(LogLevel::kError, "controller: cannot start as the leader",
              {{"error", std::string(started.message())}});
          self->options_.on_lost_leadership();
        }
      },
      [self] {
        if (!self->stopping_) {
          // First, since nanoplane-controller exits there: the quickest way to
          // stop acting. A graceful StopActive waits for the calls in flight,
          // which hang as long as an API server that does not answer.
          self->options_.on_lost_leadership();
          self->StopActive();
        }
      });
  Log(LogLevel::kInfo, "controller campaigning for the lease",
      {{"lease", o.election.lease_name}, {"identity", o.election.identity}});
  return server;
}

absl::Status ControllerServer::OpenStore() {
  const ControllerServerOptions& o = options_;
  if (o.store == StoreKind::kSqlite) {
    NP_ASSIGN_OR_RETURN(sqlite_, SqliteStore::Open({.data_dir = o.data_dir}));
    store_ = sqlite_.get();
    return absl::OkStatus();
  }
  // The artifact index stays beside the blobs it indexes.
  NP_ASSIGN_OR_RETURN(sqlite_, SqliteStore::Open({.data_dir = o.data_dir + "/artifact-index"}));
  NP_ASSIGN_OR_RETURN(kube::KubeConfig config, KubeConfigFor(o.kubernetes));
  NP_ASSIGN_OR_RETURN(
      kube_client_, kube::KubeClient::New(std::move(config),
                                          {.qps = o.kubernetes.qps, .burst = o.kubernetes.burst}));
  kube_store_ = std::make_unique<KubeStore>(
      *kube_client_, sqlite_.get(),
      KubeStoreOptions{.ns = o.kubernetes.ns,
                       .lease_namespace = o.kubernetes.lease_namespace,
                       .reporting_instance =
                           o.election.identity.empty() ? DefaultIdentity() : o.election.identity});
  NP_RETURN_IF_ERROR(kube_store_->CheckInstalled());
  store_ = kube_store_.get();
  return absl::OkStatus();
}

absl::Status ControllerServer::StartActive() {
  const ControllerServerOptions& o = options_;
  absl::MutexLock lock(&active_mu_);
  if (stopping_) {
    return absl::OkStatus();
  }
  NP_ASSIGN_OR_RETURN(artifacts_, FsArtifactStore::Open(o.data_dir + "/artifacts"));
  NP_ASSIGN_OR_RETURN(hub_, GrpcAgentHub::Start({.address = o.agent_address,
                                                 .join_token = o.join_token,
                                                 .tls_cert_file = o.tls_cert_file,
                                                 .tls_key_file = o.tls_key_file,
                                                 .client_ca_file = o.client_ca_file,
                                                 .artifacts = artifacts_.get()}));
  app::ControllerOptions controller_options;
  controller_options.host_grace_period = o.host_grace_period;
  controller_options.eviction_timeout = o.eviction_timeout;
  if (o.store == StoreKind::kKubernetes) {
    // Heartbeats take at most a quarter of the API budget; changes go at once.
    controller_options.host_record_writes_per_second = o.kubernetes.qps / 4;
  }
  controller_ = std::make_unique<app::Controller>(*store_, *hub_, metrics_, controller_options);
  use_cases_ = std::make_unique<application::UseCases>(*store_, *artifacts_);
  fleet_ = std::make_unique<application::FleetUseCases>(*store_, *hub_);
  service_ = std::make_unique<api::ControllerService>(*use_cases_, *fleet_);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(o.api_address, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(service_.get());
  builder.SetMaxReceiveMessageSize(256 << 20);
  api_server_ = builder.BuildAndStart();
  if (!api_server_ || port == 0) {
    return absl::UnavailableError(StrCat("controller API: cannot listen on ", o.api_address));
  }
  api_address_ = StrCat(o.api_address.substr(0, o.api_address.rfind(':')), ":", port);
  controller_->Start();
  collector_ =
      std::make_unique<application::ArtifactCollector>(*store_, *artifacts_, o.artifact_gc);
  if (!o.manifests_dir.empty()) {
    NP_ASSIGN_OR_RETURN(
        manifests_,
        manifests::ManifestSyncer::Start(
            {.dir = o.manifests_dir, .resync_interval = o.manifests_resync}, *store_, *use_cases_));
  }
  active_ = true;
  Log(LogLevel::kInfo, "controller started",
      {{"api", api_address_},
       {"agents", hub_->address()},
       {"store", o.store == StoreKind::kSqlite ? o.data_dir : kube_client_->config().server},
       {"data_dir", o.data_dir}});
  return absl::OkStatus();
}

void ControllerServer::StopActive() {
  absl::MutexLock lock(&active_mu_);
  // The API and the loops stop before the stores they use go away.
  manifests_.reset();
  if (api_server_) {
    api_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
  if (controller_) {
    controller_->Stop();
  }
  collector_.reset();
  active_ = false;
}

std::string ControllerServer::api_address() const {
  absl::MutexLock lock(&active_mu_);
  return api_address_;
}

std::string ControllerServer::agent_address() const {
  absl::MutexLock lock(&active_mu_);
  return hub_ ? hub_->address() : "";
}

std::string ControllerServer::ReadyReason() const {
  if (elector_ != nullptr && !elector_->leading()) {
    return "not the leader";
  }
  absl::MutexLock lock(&active_mu_);
  if (!active_) {
    return "starting";
  }
  return controller_->ReadyReason();
}

ControllerServer::~ControllerServer() {
  stopping_ = true;
  StopActive();
  // After the loops: the lease is released only once nothing acts any more.
  elector_.reset();
  endpoints_.reset();
  absl::MutexLock lock(&active_mu_);
  hub_.reset();
}

}  // namespace nanoplane::controller
