#pragma once

// Where the Kubernetes API server is and how to authenticate to it: from a
// kubeconfig, as kubectl finds and merges them, or from a pod's service account.
//
// A KubeConfig is plain, resolved data: file references are already read (and
// their PEM checked), relative paths resolved against the kubeconfig that named
// them, base64 decoded. Only a token file stays a path, because tokens rotate:
// the client re-reads it (token_source.h).
//
// Errors name the file and the field, never the secret:
//   NotFound            a kubeconfig, or a file it names, does not exist
//                       (also: no kubeconfig anywhere; not in a pod)
//   InvalidArgument     a field is malformed (`~/.kube/config:
//                       users[0].user.client-key-data: not base64`), a context,
//                       cluster or user is missing, or the auth is unsupported
//                       (exec plugins, auth-provider, basic auth, impersonation)
// Thread-safety: the functions are reentrant; they read the process environment
// only when the options leave a value unset.

#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace nanoplane::kube {

struct KubeConfig {
  std::string server;  // "https://127.0.0.1:6443", no trailing '/'
  std::string ca_pem;  // empty: the system's roots
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;  // empty: the server's host
  std::string client_certificate_pem;
  std::string client_key_pem;
  std::string token;       // a fixed bearer token
  std::string token_file;  // a bearer token re-read as it rotates (wins over `token`)
  std::string namespace_name = "default";

  // For messages: "kubeconfig ~/.kube/config" or "in-cluster service account".
  std::string source;
  std::string context;  // the kubeconfig context; empty in a pod
  std::string user;     // the kubeconfig user; empty in a pod
};

struct KubeConfigOptions {
  std::string kubeconfig;      // --kubeconfig: this file only, and it must exist
  std::string context;         // --context: instead of current-context
  std::string namespace_name;  // --namespace: instead of the context's
  // Unset: the process's $KUBECONFIG and $HOME. Tests set them.
  std::optional<std::string> kubeconfig_env;
  std::optional<std::string> home;
};

// --kubeconfig, else every file of $KUBECONFIG (colon-separated; missing ones are
// skipped; merged as kubectl does: the first file that sets a name or
// current-context wins), else ~/.kube/config.
[[nodiscard]] absl::StatusOr<KubeConfig> LoadKubeConfig(const KubeConfigOptions& options);

struct InClusterOptions {
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  // Unset: $KUBERNETES_SERVICE_HOST and $KUBERNETES_SERVICE_PORT.
  std::optional<std::string> service_host;
  std::optional<std::string> service_port;
};

// The pod's service account: the API server at KUBERNETES_SERVICE_HOST:_PORT,
// `token` (as a token_file, so rotation is seen), `ca.crt` and `namespace`.
[[nodiscard]] absl::StatusOr<KubeConfig> InClusterConfig(const InClusterOptions& options = {});

// "~/x" for a path under `home`, else the path: how messages show files.
std::string DisplayPath(const std::string& path, const std::string& home);

}  // namespace nanoplane::kube
