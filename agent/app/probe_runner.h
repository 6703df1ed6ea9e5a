#pragma once

// Runs readiness and liveness probes: a TCP connect, or an HTTP(S) GET that
// passes on a status from 200 to 399, against the instance's forwarded host
// port (user-mode networking) or the guest's address (bridged).
//
// Where a probe goes is resolved from the template and the VM's current port
// bindings, because host ports may change when a VM is booted again.

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/ports/vm_driver.h"
#include "nanoplane/v1alpha1/unikernel.pb.h"

namespace nanoplane::agent::app {

struct ProbeTarget {
  bool http = false;  // else a TCP connect
  // With http: over TLS (HTTPS). As in Kubernetes, the guest's certificate is
  // not verified: the probe asks whether the service answers, not who it is.
  bool tls = false;
  std::string host;
  int port = 0;
  std::string path = "/";  // with http
  bool operator==(const ProbeTarget&) const = default;
};

// NotFound when the probe's port is neither declared in the template nor
// forwarded for the VM (such a probe fails), InvalidArgument when the probe
// has no action.
[[nodiscard]] absl::StatusOr<ProbeTarget> ResolveProbeTarget(const v1alpha1::Probe& probe,
                                                             const v1alpha1::UnikernelTemplate& t,
                                                             const VmInfo& vm);

// Performs one probe; true when it passed within `timeout`. Thread-safe.
using Prober = std::function<bool(const ProbeTarget& target, absl::Duration timeout)>;

// The real prober: a TCP connect, or an HTTP/1.0 GET (over TLS for HTTPS) of
// which only the status line is read.
bool RunProbe(const ProbeTarget& target, absl::Duration timeout);

}  // namespace nanoplane::agent::app
