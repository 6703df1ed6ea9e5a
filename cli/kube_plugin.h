#pragma once

// The `nanoplane` binary as a kubectl plugin: installed or linked as
// `kubectl-nanoplane`, `kubectl nanoplane rollout undo web` talks to the
// Kubernetes API server with the user's kubeconfig and RBAC, not to the
// controller. It runs the controller API's own use cases (application/) over
// a KubeStore in this process, behind an in-process gRPC channel, so every
// controller command of the CLI works unchanged on top of it.
//
// What needs the controller itself is refused with a message saying so:
// `logs` (the console logs are on the agents) and `apply` of local sources
// (the blobs go to the controller's artifact store; plain `kubectl apply` of a
// manifest with `source.url` and `sha256` works).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "nanoplane/api/v1/controller.grpc.pb.h"

namespace nanoplane::cli {

// True when the program was started as kubectl-nanoplane (argv[0]'s base name).
bool IsKubectlPlugin(const char* argv0);

struct KubePluginOptions {
  std::string kubeconfig;  // --kubeconfig; empty: $KUBECONFIG, then ~/.kube/config
  std::string context;     // --context
};

// A controller API over the cluster of the kubeconfig. Owns what it built.
class KubeBackend {
 public:
  virtual ~KubeBackend() = default;
  virtual ::nanoplane::api::v1::Controller::StubInterface& stub() = 0;
  // The kubeconfig context's namespace ("default" when it names none).
  virtual const std::string& default_namespace() const = 0;
};

// InvalidArgument / NotFound naming the kubeconfig, or what the API server
// said (no CRDs installed: "install crds/").
[[nodiscard]] absl::StatusOr<std::unique_ptr<KubeBackend>> OpenKubeBackend(
    const KubePluginOptions& options);

}  // namespace nanoplane::cli
