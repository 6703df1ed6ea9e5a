#include "agent/server/agent_server.h"

#include <cstdlib>

#include "agent/app/host_facts.h"
#include "agent/app/nanos_image_source.h"
#include "agent/image/release/downloader.h"
#include "common/log.h"
#include "common/status.h"

namespace nanoplane::agent {
namespace {

constexpr const char* kVersion = "0.1.0";

}  // namespace

absl::StatusOr<std::unique_ptr<AgentServer>> AgentServer::Start(AgentServerOptions o) {
  std::unique_ptr<AgentServer> server(new AgentServer());
  const app::HostFacts facts = app::ReadHostFacts();
  server->accelerator_ = DetectAccelerator(o.accel);
  NP_ASSIGN_OR_RETURN(server->driver_, LibvirtVmDriver::Open({.state_dir = o.state_dir + "/vms"}));
  NP_ASSIGN_OR_RETURN(server->link_,
                      GrpcControllerLink::Create({.address = o.controller, .ca_file = o.ca_file}));
  image::ReleaseStoreOptions release_options{.release_dir = o.nanos_dir,
                                             .cache_dir = o.state_dir + "/releases"};
  if (const char* env = std::getenv("NANOS_RELEASE_DIR"); release_options.release_dir.empty() && env) {
    release_options.release_dir = env;
  }
  server->releases_ = std::make_unique<image::ReleaseStore>(
      release_options, std::make_unique<image::HttpDownloader>());
  server->images_ = std::make_unique<image::ImageCache>(
      image::ImageCacheOptions{.dir = o.state_dir + "/images"});
  server->builder_ = std::make_unique<image::ImageBuilder>(*server->releases_, *server->images_);
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
      .nanos_versions = [releases] { return releases->LocalVersions(); },
      .report_interval = absl::Seconds(o.report_interval_seconds),
  };
  app::AgentDeps deps{
      .driver = server->driver_.get(),
      .link = server->link_.get(),
      .build = app::MakeNanosImageBuild(*server->builder_, *server->images_, server->link_.get(),
                                        {.artifact_dir = o.state_dir + "/artifacts",
                                         .package_dir = o.state_dir + "/packages",
                                         .direct_boot = o.direct_boot}),
      .metrics = &server->metrics_,
  };
  NP_ASSIGN_OR_RETURN(server->agent_, app::Agent::Create(std::move(options), std::move(deps)));
  NP_RETURN_IF_ERROR(server->agent_->Start());
  Log(LogLevel::kInfo, "agent running",
      {{"controller", o.controller},
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
