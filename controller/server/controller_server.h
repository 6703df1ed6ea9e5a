#pragma once

// The whole controller in one object: the store (embedded SQLite in the data
// directory, or a Kubernetes API server), the artifact store in the data
// directory, the agent hub (gRPC), the reconcile loops, the controller API for
// the CLI (gRPC), and /healthz, /readyz, /metrics. Used by
// `nanoplane-controller` and by `nanoplane up`.
//
// With leader election (the default with the Kubernetes store) the server
// starts with only /healthz, /readyz and /metrics and campaigns for the lease;
// the hub, the API and the loops start once it leads, and /readyz is ready
// only then, so that a Service sends agents and the CLI to the leader. A lost
// lease calls on_lost_leadership (nanoplane-controller exits at once: a new
// process campaigns again), so two controllers never act at once.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/file_lock.h"
#include "common/http/http_endpoints.h"
#include "common/kube/kube_client.h"
#include "common/kube/kube_config.h"
#include "common/metrics.h"
#include "controller/adapters/fs_artifact_store.h"
#include "controller/adapters/grpc_agent_hub.h"
#include "controller/adapters/kube_store.h"
#include "controller/adapters/sqlite_store.h"
#include "controller/api/controller_service.h"
#include "controller/app/controller.h"
#include "controller/app/leader_elector.h"
#include "controller/application/artifact_gc.h"
#include "controller/manifests/manifest_syncer.h"
#include "grpcpp/grpcpp.h"

namespace nanoplane::controller {

enum class StoreKind { kSqlite, kKubernetes };

struct KubernetesStoreOptions {
  // --kubeconfig, --context; with neither and $KUBERNETES_SERVICE_HOST set,
  // the pod's service account.
  kube::KubeConfigOptions config;
  std::optional<std::string> ns;  // --namespace: only this namespace's Unikernels
  std::string lease_namespace = "nanoplane-system";  // the controller's own
  double qps = 20;  // --kube-api-qps, --kube-api-burst: the client-side rate limit
  int burst = 40;
};

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
  StoreKind store = StoreKind::kSqlite;
  KubernetesStoreOptions kubernetes;
  // Lead over the store's lease before acting; identity empty: host-pid.
  bool leader_elect = false;
  app::LeaderElectorOptions election;
  // Called first when the lease is lost, before the active parts stop (which
  // waits for calls in flight); nanoplane-controller exits in it.
  std::function<void()> on_lost_leadership = [] {};
};

class ControllerServer {
 public:
  // Opens the stores, starts serving and the loops. InvalidArgument for bad
  // options, Unavailable when an address cannot be bound, FailedPrecondition
  // for a store written by a newer nanoplane.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ControllerServer>> Start(
      ControllerServerOptions options);
  ~ControllerServer();  // stops everything; VMs keep running on their hosts

  // Empty until the server leads (at once without leader election).
  std::string api_address() const;
  std::string agent_address() const;
  std::string metrics_address() const { return endpoints_ ? endpoints_->address() : ""; }
  // This candidate's name in the lease (with leader election).
  const std::string& identity() const { return options_.election.identity; }
  bool ready() const { return ReadyReason().empty(); }
  // For /readyz: empty when leading and ready, else why not.
  std::string ReadyReason() const;

 private:
  explicit ControllerServer(ControllerServerOptions options) : options_(std::move(options)) {}
  absl::Status OpenStore();
  // The hub, the loops, the API and the syncer: what only the leader runs.
  absl::Status StartActive();
  void StopActive();

  const ControllerServerOptions options_;
  std::unique_ptr<FileLock> data_dir_lock_;  // held while the server lives
  MetricsRegistry metrics_;
  std::unique_ptr<SqliteStore> sqlite_;  // the store, or only the artifact index
  std::unique_ptr<kube::KubeClient> kube_client_;
  std::unique_ptr<KubeStore> kube_store_;
  ports::Store* store_ = nullptr;
  std::unique_ptr<app::LeaderElector> elector_;
  std::atomic<bool> stopping_{false};
  mutable absl::Mutex active_mu_;  // guards the parts below as they start and stop
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
  std::string api_address_ ABSL_GUARDED_BY(active_mu_);
  bool active_ ABSL_GUARDED_BY(active_mu_) = false;
};

}  // namespace nanoplane::controller
