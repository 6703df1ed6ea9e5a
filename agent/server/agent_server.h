#pragma once

// The whole agent in one object: the libvirt VM driver, the link to the
// controller, the Nanos release store and image cache, the Agent loops, and
// /healthz and /metrics. Used by `nanoplane-agent` and by `nanoplane up`.
//
// Two modes for tests replace parts of it: a simulated VM driver (no libvirt,
// no image builds: many agents on one machine for tests and scale runs), and
// the Linux test guest booted through libvirt instead of Nanos images (the
// template's image args become the kernel command line).

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "agent/adapters/accelerator.h"
#include "agent/adapters/grpc_controller_link.h"
#include "agent/app/agent.h"
#include "agent/image/builder/image_builder.h"
#include "common/file_lock.h"
#include "common/http/http_endpoints.h"
#include "common/metrics.h"

namespace nanoplane::agent {

// Which VMs the agent runs.
enum class AgentDriver {
  kLibvirt,    // real VMs through libvirt
  kSimulated,  // testing::SimulatedVmDriver: no VMs, no image builds
};

struct AgentServerOptions {
  std::string controller;  // host:port of the controller's agent hub
  std::string join_token;
  std::string ca_file;
  std::string host;  // empty: the machine's name
  std::map<std::string, std::string> labels;
  std::string state_dir = "/var/lib/nanoplane";
  std::string nanos_dir;  // empty: $NANOS_RELEASE_DIR, else downloads
  // "VERSION=SHA256" of release tarballs: downloads are trusted against these.
  std::vector<std::string> nanos_sha256;
  std::string nanos_url = image::kDefaultReleaseUrl;
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
  // How long a VM no longer assigned keeps running before it is stopped.
  double unassigned_grace_seconds = 30;

  // For tests.
  AgentDriver driver = AgentDriver::kLibvirt;
  // With kSimulated: how long a VM takes to pass its readiness probe.
  absl::Duration simulated_boot = absl::Milliseconds(100);
  // Non-empty (with kLibvirt): boot the Linux test guest, built in this
  // directory, instead of Nanos images.
  std::string test_guest_dir;
};

class AgentServer {
 public:
  // Opens libvirt (or the simulated driver) and starts the loops.
  // Unavailable when libvirtd cannot be reached; InvalidArgument for bad
  // options; FailedPrecondition when the test guest cannot be built.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<AgentServer>> Start(
      AgentServerOptions options);
  ~AgentServer();  // stops the loops; VMs keep running

  Accelerator accelerator() const { return accelerator_; }
  std::string metrics_address() const { return endpoints_ ? endpoints_->address() : ""; }

 private:
  AgentServer() = default;
  // Sets driver_, and `prober` for the simulated driver.
  [[nodiscard]] absl::Status OpenDriver(const AgentServerOptions& o, app::Prober& prober);
  // After OpenDriver and the link: Nanos images, the test guest or nothing.
  [[nodiscard]] absl::StatusOr<app::ImageBuildFn> MakeBuild(const AgentServerOptions& o);

  std::unique_ptr<FileLock> state_dir_lock_;  // held while the server lives
  Accelerator accelerator_ = Accelerator::kTcg;
  MetricsRegistry metrics_;
  std::unique_ptr<VmDriver> driver_;
  std::unique_ptr<GrpcControllerLink> link_;
  std::unique_ptr<image::ReleaseStore> releases_;
  std::unique_ptr<image::ImageCache> images_;
  std::unique_ptr<image::ImageBuilder> builder_;
  std::unique_ptr<HttpEndpoints> endpoints_;
  std::unique_ptr<app::Agent> agent_;
};

}  // namespace nanoplane::agent
