#pragma once

// PortForward: a `kubectl port-forward` child process for as long as the
// object lives, so that kubectl-nanoplane reaches the controller's API
// Service (for uploads and logs) with the user's kubeconfig, as `kubectl
// port-forward svc/...` would.
//
// Why port-forward rather than the API server's service proxy: the proxy
// speaks HTTP/1.1 and cannot carry gRPC's HTTP/2 streams (log follow,
// uploads); a port-forward carries any TCP.
//
// Thread-safety: not thread-safe.

#include <sys/types.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace nanoplane::cli {

struct PortForwardOptions {
  std::string kubectl = "kubectl";  // the program (searched in $PATH)
  std::string kubeconfig;           // passed on when set
  std::string context;              // passed on when set
  std::string ns = "nanoplane-system";
  std::string service = "nanoplane-controller";
  int port = 7443;  // the Service's port
  absl::Duration timeout = absl::Seconds(30);
};

class PortForward {
 public:
  // Starts kubectl and waits until it says "Forwarding from 127.0.0.1:PORT".
  // Unavailable with kubectl's own words when it exits first (no such
  // Service, no ready pod, refused by RBAC), DeadlineExceeded after
  // `timeout`, NotFound when kubectl is not installed.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<PortForward>> Start(
      const PortForwardOptions& options);

  // Stops kubectl (SIGTERM) and reaps it.
  ~PortForward();

  // "127.0.0.1:PORT", the local end.
  const std::string& address() const { return address_; }

 private:
  PortForward(pid_t pid, int output, std::string address);

  pid_t pid_;
  int output_;  // kubectl's stdout and stderr, drained until it exits
  std::string address_;
  std::thread drain_;
};

// The local address in one line of kubectl port-forward's output
// ("Forwarding from 127.0.0.1:43127 -> 7443"), or empty.
std::string ForwardedAddress(const std::string& line);

}  // namespace nanoplane::cli
