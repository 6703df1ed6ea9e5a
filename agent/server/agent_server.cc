#include "agent/server/agent_server.h"

#include <cstdlib>

#include "agent/adapters/libvirt_vm_driver.h"
#include "agent/app/host_facts.h"
#include "agent/app/nanos_image_source.h"
#include "agent/image/release/downloader.h"
#include "agent/testing/simulated_vm_driver.h"
#include "agent/testing/test_guest.h"
#include "common/file_lock.h"
#include "common/log.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::agent {
namespace {

constexpr const char* kVersion = "0.1.0";

std::string ModeName(const AgentServerOptions& o) {
  if (o.driver == AgentDriver::kSimulated) {
    return StrCat("simulated (boot ", absl::FormatDuration(o.simulated_boot), ")");
  }
  return o.test_guest_dir.empty() ? "libvirt" : "libvirt, Linux test guest";
}

}  // namespace

absl::Status AgentServer::OpenDriver(const AgentServerOptions& o, app::Prober& prober) {
  const std::string dir = o.state_dir + "/vms";
  if (o.driver == AgentDriver::kLibvirt) {
    NP_ASSIGN_OR_RETURN(driver_, LibvirtVmDriver::Open({.state_dir = dir}));
    return absl::OkStatus();
  }
  NP_ASSIGN_OR_RETURN(
      std::unique_ptr<testing::SimulatedVmDriver> simulated,
      testing::SimulatedVmDriver::Open({.state_dir = dir, .boot_time = o.simulated_boot}));
  // Probes would reach nothing: a simulated VM passes once it has booted. The
  // agent (which holds the prober) goes before the driver.
  prober = [d = simulated.get()](const app::ProbeTarget& target, absl::Duration) {
    return d->Booted(target.port);
  };
  driver_ = std::move(simulated);
  return absl::OkStatus();
}

absl::StatusOr<app::ImageBuildFn> AgentServer::MakeBuild(const AgentServerOptions& o) {
  if (o.driver == AgentDriver::kSimulated) {
    return app::ImageBuildFn([](const v1::InstanceAssignment&) -> absl::StatusOr<app::AgentImage> {
      return app::AgentImage{.key = "simulated"};
    });
  }
  if (!o.test_guest_dir.empty()) {
    NP_ASSIGN_OR_RETURN(testing::TestGuest guest, testing::MakeTestGuest(o.test_guest_dir));
    return app::ImageBuildFn(
        [guest](const v1::InstanceAssignment& instance) -> absl::StatusOr<app::AgentImage> {
          return app::AgentImage{.key = "np-test-guest",
                                 .boot = testing::TestGuestBoot(
                                     guest, StrJoin(instance.template_().image().args(), " "))};
        });
  }
  image::ReleaseStoreOptions release_options{.release_dir = o.nanos_dir,
                                             .cache_dir = o.state_dir + "/releases",
                                             .url_template = o.nanos_url};
  NP_ASSIGN_OR_RETURN(release_options.sha256_by_version, image::ParseReleasePins(o.nanos_sha256));
  if (const char* env = std::getenv("NANOS_RELEASE_DIR");
      release_options.release_dir.empty() && env) {
    release_options.release_dir = env;
  }
  releases_ = std::make_unique<image::ReleaseStore>(release_options,
                                                    std::make_unique<image::HttpDownloader>());
  images_ =
      std::make_unique<image::ImageCache>(image::ImageCacheOptions{.dir = o.state_dir + "/images"});
  builder_ = std::make_unique<image::ImageBuilder>(*releases_, *images_);
  return app::MakeNanosImageBuild(*builder_, *images_, link_.get(),
                                  {.artifact_dir = o.state_dir + "/artifacts",
                                   .package_dir = o.state_dir + "/packages",
                                   .direct_boot = o.direct_boot});
}

absl::StatusOr<std::unique_ptr<AgentServer>> AgentServer::Start(AgentServerOptions o) {
  std::unique_ptr<AgentServer> server(new AgentServer());
  // Two agents over one state directory would fight over its VMs and files.
  NP_ASSIGN_OR_RETURN(server->state_dir_lock_,
                      FileLock::ForDirectory(o.state_dir, "agent.lock", "state directory"));
  const app::HostFacts facts = app::ReadHostFacts();
  server->accelerator_ = DetectAccelerator(o.accel);
  app::Prober prober = app::RunProbe;
  NP_RETURN_IF_ERROR(server->OpenDriver(o, prober));
  NP_ASSIGN_OR_RETURN(server->link_,
                      GrpcControllerLink::Create({.address = o.controller, .ca_file = o.ca_file}));
  NP_ASSIGN_OR_RETURN(app::ImageBuildFn build, server->MakeBuild(o));
  if (!o.metrics_address.empty()) {
    NP_ASSIGN_OR_RETURN(server->endpoints_,
                        HttpEndpoints::Start({.address = o.metrics_address}, server->metrics_));
  }
  image::ReleaseStore* releases = server->releases_.get();
  app::AgentOptions options{
      .host = o.host.empty() ? facts.name : o.host,
      .labels = o.labels,
      .join_token = o.join_token,
      .state_dir = o.state_dir,
      .vm = {.bind_address = o.bind_address,
             .bridge = o.bridge,
             .network = o.network,
             .accelerator = server->accelerator_},
      .capacity_memory_bytes = app::Allocatable(facts.memory_bytes, o.reserve_memory),
      .capacity_cpus = static_cast<int32_t>(
          app::Allocatable(facts.cpus * std::max(1, o.cpu_overcommit), o.reserve_cpus)),
      .architecture = facts.architecture,
      .agent_version = kVersion,
      .nanos_versions =
          [releases] { return releases ? releases->LocalVersions() : std::vector<std::string>{}; },
      .report_interval = absl::Seconds(o.report_interval_seconds),
  };
  options.local.grace_period = absl::Seconds(o.unassigned_grace_seconds);
  app::AgentDeps deps{
      .driver = server->driver_.get(),
      .link = server->link_.get(),
      .build = std::move(build),
      .prober = std::move(prober),
      .metrics = &server->metrics_,
  };
  NP_ASSIGN_OR_RETURN(server->agent_, app::Agent::Create(std::move(options), std::move(deps)));
  NP_RETURN_IF_ERROR(server->agent_->Start());
  Log(LogLevel::kInfo, "agent running",
      {{"controller", o.controller},
       {"mode", ModeName(o)},
       {"accelerator", std::string(ToString(server->accelerator_))},
       {"metrics", server->metrics_address()}});
  return server;
}

AgentServer::~AgentServer() {
  // The loops stop before the link and driver they use go away.
  if (agent_) {
    agent_->Stop();
  }
  link_.reset();
  agent_.reset();
}

}  // namespace nanoplane::agent
