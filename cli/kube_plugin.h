#pragma once

// The `nanoplane` binary as a kubectl plugin: installed or linked as
// `kubectl-nanoplane`, `kubectl nanoplane rollout undo web` talks to the
// Kubernetes API server with the user's kubeconfig and RBAC, not to the
// controller. It runs the controller API's own use cases (application/) over
// a KubeStore in this process, behind an in-process gRPC channel, so every
// controller command of the CLI works unchanged on top of it.
//
// What only the controller has, it reaches through the controller's API
// Service: `apply` uploads local sources to the controller's artifact store
// (then writes the object, with the digests, to the API server itself), and
// `logs` streams a console log from the agents. That connection is made on
// first need: to --controller ADDR when given (or $NANOPLANE_CONTROLLER), else
// through `kubectl port-forward svc/nanoplane-controller` (port_forward.h).

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
  // The controller's API: --controller, else $NANOPLANE_CONTROLLER, else a
  // port-forward to svc/nanoplane-controller in `controller_namespace`.
  std::string controller;
  std::string controller_namespace = "nanoplane-system";
};

// A controller API over the cluster of the kubeconfig. Owns what it built.
class KubeBackend {
 public:
  virtual ~KubeBackend() = default;
  virtual ::nanoplane::api::v1::Controller::StubInterface& stub() = 0;
  // The kubeconfig context's namespace ("default" when it names none).
  virtual const std::string& default_namespace() const = 0;
  // The controller's own API, connected on first call. Unavailable or NotFound
  // (kubectl missing) naming what failed.
  [[nodiscard]] virtual absl::StatusOr<::nanoplane::api::v1::Controller::StubInterface*>
  controller() = 0;
};

// InvalidArgument / NotFound naming the kubeconfig, or what the API server
// said (no CRDs installed: "install crds/").
[[nodiscard]] absl::StatusOr<std::unique_ptr<KubeBackend>> OpenKubeBackend(
    const KubePluginOptions& options);

}  // namespace nanoplane::cli
