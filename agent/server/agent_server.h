#pragma once

// The whole agent in one object: the libvirt VM driver, the link to the
// controller, the Nanos release store and image cache, the Agent loops, and
// /healthz and /metrics. Used by `nanoplane-agent` and by `nanoplane up`.

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "agent/adapters/accelerator.h"
#include "agent/adapters/grpc_controller_link.h"
#include "agent/adapters/libvirt_vm_driver.h"
#include "agent/app/agent.h"
#include "agent/image/builder/image_builder.h"
#include "common/http/http_endpoints.h"
#include "common/metrics.h"

namespace nanoplane::agent {

struct AgentServerOptions {
  std::string controller;  // host:port of the controller's agent hub
  std::string join_token;
  std::string ca_file;
  std::string host;  // empty: the machine's name
  std::map<std::string, std::string> labels;
  std::string state_dir = "/var/lib/nanoplane";
  std::string nanos_dir;  // empty: $NANOS_RELEASE_DIR, else downloads
  AcceleratorMode accel = AcceleratorMode::kAuto;
  std::string bind_address = "127.0.0.1";
  std::string bridge, network;
  std::string metrics_address = "127.0.0.1:9464";  // empty: no endpoints
  int64_t reserve_memory = 0;
  int reserve_cpus = 0;
  // vCPUs offered per host CPU: VMs share CPUs as processes do.
  int cpu_overcommit = 4;
  bool direct_boot = false;
  double report_interval_seconds = 5;
};

class AgentServer {
 public:
  // Opens libvirt and starts the loops. Unavailable when libvirtd cannot be
  // reached; InvalidArgument for bad options.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<AgentServer>> Start(AgentServerOptions options);
  ~AgentServer();  // stops the loops; VMs keep running

  Accelerator accelerator() const { return accelerator_; }
  std::string metrics_address() const { return endpoints_ ? endpoints_->address() : ""; }

 private:
  AgentServer() = default;

  Accelerator accelerator_ = Accelerator::kTcg;
  MetricsRegistry metrics_;
  std::unique_ptr<LibvirtVmDriver> driver_;
  std::unique_ptr<GrpcControllerLink> link_;
  std::unique_ptr<image::ReleaseStore> releases_;
  std::unique_ptr<image::ImageCache> images_;
  std::unique_ptr<image::ImageBuilder> builder_;
  std::unique_ptr<HttpEndpoints> endpoints_;
  std::unique_ptr<app::Agent> agent_;
};

}  // namespace nanoplane::agent
