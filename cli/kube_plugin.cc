#include "cli/kube_plugin.h"

#include <stdlib.h>

#include <filesystem>

#include "common/kube/kube_client.h"
#include "common/kube/kube_config.h"
#include "common/status.h"
#include "controller/adapters/fs_artifact_store.h"
#include "controller/adapters/kube_store.h"
#include "controller/api/controller_service.h"
#include "controller/application/fleet_use_cases.h"
#include "controller/application/use_cases.h"
#include "grpcpp/grpcpp.h"

namespace nanoplane::cli {
namespace {

namespace apiv1 = ::nanoplane::api::v1;

constexpr char kNeedsController[] =
    "is served by the nanoplane controller, not by the Kubernetes API server; run nanoplane with "
    "--controller (through kubectl port-forward to the controller's API Service)";

// The plugin has no agents to ask: hosts come from the Host objects, and the
// agents' own calls are refused.
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
    return absl::FailedPreconditionError(std::string("logs ") + kNeedsController);
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
    NP_ASSIGN_OR_RETURN(artifacts_, controller::FsArtifactStore::Open(scratch_ + "/artifacts"));
    // No artifact index: the blobs and their index are the controller's.
    store_ = std::make_unique<controller::KubeStore>(*client_, nullptr);
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

 private:
  std::string namespace_;
  std::string scratch_;
  std::unique_ptr<kube::KubeClient> client_;
  NoAgents hub_;
  std::unique_ptr<controller::FsArtifactStore> artifacts_;
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
