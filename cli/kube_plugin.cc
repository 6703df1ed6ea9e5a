#include "cli/kube_plugin.h"

#include <stdlib.h>

#include <filesystem>

#include "cli/controller_client.h"
#include "cli/port_forward.h"
#include "cli/remote_artifact_store.h"
#include "common/kube/kube_client.h"
#include "common/kube/kube_config.h"
#include "common/status.h"
#include "controller/adapters/kube_store.h"
#include "controller/adapters/sqlite_store.h"
#include "controller/api/controller_service.h"
#include "controller/application/fleet_use_cases.h"
#include "controller/application/use_cases.h"
#include "grpcpp/grpcpp.h"

namespace nanoplane::cli {
namespace {

namespace apiv1 = ::nanoplane::api::v1;

// The plugin has no agents to ask: hosts come from the Host objects, and logs
// are asked of the controller directly (controller()).
class NoAgents : public controller::ports::AgentHub {
 public:
  // ports::AgentHub
  int64_t Assign(const std::string&, std::vector<controller::ports::SharedAssignment>) override {
    return 0;
  }
  std::vector<controller::ports::HostSession> Hosts() const override { return {}; }
  void SetOnChange(std::function<void(const std::string&)>) override {}
  absl::Status StreamLogs(const std::string&, const std::string&, int64_t, bool,
                          const std::function<bool(std::string_view)>&) override {
    return absl::FailedPreconditionError("logs come from the controller's API, not in-process");
  }
};

class InProcessBackend : public KubeBackend {
 public:
  ~InProcessBackend() override {
    if (server_) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    }
    std::error_code ignored;
    std::filesystem::remove_all(scratch_, ignored);
  }

  absl::Status Open(const KubePluginOptions& options) {
    NP_ASSIGN_OR_RETURN(
        kube::KubeConfig config,
        kube::LoadKubeConfig({.kubeconfig = options.kubeconfig, .context = options.context}));
    namespace_ = config.namespace_name.empty() ? "default" : config.namespace_name;
    NP_ASSIGN_OR_RETURN(client_, kube::KubeClient::New(std::move(config)));
    std::string pattern =
        (std::filesystem::temp_directory_path() / "kubectl-nanoplane-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      return absl::InternalError("cannot make a scratch directory under /tmp");
    }
    scratch_ = pattern;
    controller_options_ = options;
    // The blobs and their index are the controller's (it records each upload);
    // this scratch index only serves this process's use cases.
    NP_ASSIGN_OR_RETURN(artifact_index_,
                        controller::SqliteStore::Open({.data_dir = scratch_ + "/artifact-index"}));
    artifacts_ = std::make_unique<RemoteArtifactStore>([this] { return controller(); });
    store_ = std::make_unique<controller::KubeStore>(*client_, artifact_index_.get());
    NP_RETURN_IF_ERROR(store_->CheckInstalled());
    use_cases_ = std::make_unique<controller::application::UseCases>(*store_, *artifacts_);
    fleet_ = std::make_unique<controller::application::FleetUseCases>(*store_, hub_);
    service_ = std::make_unique<controller::api::ControllerService>(*use_cases_, *fleet_);
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    if (server_ == nullptr) {
      return absl::InternalError("cannot start the in-process API");
    }
    stub_ = apiv1::Controller::NewStub(server_->InProcessChannel(grpc::ChannelArguments()));
    return absl::OkStatus();
  }

  apiv1::Controller::StubInterface& stub() override { return *stub_; }
  const std::string& default_namespace() const override { return namespace_; }

  absl::StatusOr<apiv1::Controller::StubInterface*> controller() override {
    if (controller_stub_ != nullptr) {
      return controller_stub_.get();
    }
    std::string address = controller_options_.controller;
    if (const char* env = getenv("NANOPLANE_CONTROLLER"); address.empty() && env != nullptr) {
      address = env;
    }
    if (address.empty()) {
      NP_ASSIGN_OR_RETURN(forward_, PortForward::Start({
                                        .kubeconfig = controller_options_.kubeconfig,
                                        .context = controller_options_.context,
                                        .ns = controller_options_.controller_namespace,
                                    }));
      address = forward_->address();
    }
    controller_stub_ = ConnectController(address);
    return controller_stub_.get();
  }

 private:
  std::string namespace_;
  std::string scratch_;
  std::unique_ptr<kube::KubeClient> client_;
  NoAgents hub_;
  KubePluginOptions controller_options_;
  std::unique_ptr<PortForward> forward_;
  std::unique_ptr<apiv1::Controller::Stub> controller_stub_;
  std::unique_ptr<controller::SqliteStore> artifact_index_;
  std::unique_ptr<RemoteArtifactStore> artifacts_;
  std::unique_ptr<controller::KubeStore> store_;
  std::unique_ptr<controller::application::UseCases> use_cases_;
  std::unique_ptr<controller::application::FleetUseCases> fleet_;
  std::unique_ptr<controller::api::ControllerService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<apiv1::Controller::Stub> stub_;
};

}  // namespace

bool IsKubectlPlugin(const char* argv0) {
  return argv0 != nullptr && std::filesystem::path(argv0).filename() == "kubectl-nanoplane";
}

absl::StatusOr<std::unique_ptr<KubeBackend>> OpenKubeBackend(const KubePluginOptions& options) {
  auto backend = std::make_unique<InProcessBackend>();
  NP_RETURN_IF_ERROR(backend->Open(options));
  return std::unique_ptr<KubeBackend>(std::move(backend));
}

}  // namespace nanoplane::cli
