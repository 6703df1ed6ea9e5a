// nanoplane-agent: runs this host's share of the fleet. Flag parsing and
// wiring only; the work is in np_agent_app and the adapters.

#include <signal.h>

#include <cstdlib>
#include <iostream>

#include "CLI/CLI.hpp"
#include "agent/adapters/accelerator.h"
#include "agent/adapters/grpc_controller_link.h"
#include "agent/adapters/libvirt_vm_driver.h"
#include "agent/app/agent.h"
#include "agent/app/host_facts.h"
#include "agent/app/nanos_image_source.h"
#include "agent/image/release/downloader.h"
#include "common/http/http_endpoints.h"
#include "common/log.h"
#include "common/quantity.h"
#include "common/strings.h"

namespace {

using namespace nanoplane;         // NOLINT: wiring code names many of its types
using namespace nanoplane::agent;  // NOLINT

constexpr const char* kVersion = "0.1.0";

struct Flags {
  std::string controller, join_token, ca_file, host;
  std::vector<std::string> labels;
  std::string state_dir = "/var/lib/nanoplane";
  std::string nanos_dir;
  std::string accel = "auto";
  std::string bind_address = "127.0.0.1";
  std::string bridge, network;
  std::string metrics_address = "127.0.0.1:9464";
  std::string reserve_memory = "0";
  int reserve_cpus = 0;
  bool direct_boot = false;
  double report_interval = 5;
  double unassigned_grace = 30;
  std::string log_level = "info";
};

int Fail(const std::string& what, const absl::Status& status) {
  std::cerr << "nanoplane-agent: " << what << ": " << status.message() << "\n";
  return 1;
}

absl::StatusOr<std::map<std::string, std::string>> ParseLabels(const std::vector<std::string>& in) {
  std::map<std::string, std::string> labels;
  for (const std::string& label : in) {
    size_t eq = label.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(StrCat("--label \"", label, "\": expected KEY=VALUE"));
    }
    labels[label.substr(0, eq)] = label.substr(eq + 1);
  }
  return labels;
}

// Blocks until SIGINT or SIGTERM (blocked in every thread before they start).
void WaitForSignal(const sigset_t& signals) {
  int signal = 0;
  sigwait(&signals, &signal);
  Log(LogLevel::kInfo, "stopping; VMs keep running", {{"signal", StrCat(signal)}});
}

int Run(const Flags& flags) {
  SetLogLevel(flags.log_level);
  auto labels = ParseLabels(flags.labels);
  auto reserve_memory = ParseQuantity(flags.reserve_memory);
  auto accel_mode = ParseAcceleratorMode(flags.accel);
  for (const absl::Status& s : {labels.status(), reserve_memory.status(), accel_mode.status()}) {
    if (!s.ok()) {
      return Fail("flags", s);
    }
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const app::HostFacts facts = app::ReadHostFacts();
  const Accelerator accelerator = DetectAccelerator(*accel_mode);
  auto driver = LibvirtVmDriver::Open({.state_dir = flags.state_dir + "/vms"});
  if (!driver.ok()) {
    return Fail("libvirt", driver.status());
  }
  auto link = GrpcControllerLink::Create({.address = flags.controller, .ca_file = flags.ca_file});
  if (!link.ok()) {
    return Fail("controller link", link.status());
  }
  image::ReleaseStoreOptions release_options{.release_dir = flags.nanos_dir,
                                             .cache_dir = flags.state_dir + "/releases"};
  if (const char* env = std::getenv("NANOS_RELEASE_DIR");
      release_options.release_dir.empty() && env) {
    release_options.release_dir = env;
  }
  image::ReleaseStore releases(release_options, std::make_unique<image::HttpDownloader>());
  image::ImageCache images({.dir = flags.state_dir + "/images"});
  image::ImageBuilder builder(releases, images);

  MetricsRegistry metrics;
  auto endpoints = HttpEndpoints::Start({.address = flags.metrics_address}, metrics);
  if (!endpoints.ok()) {
    return Fail("metrics endpoint", endpoints.status());
  }
  app::AgentOptions options{
      .host = flags.host.empty() ? facts.name : flags.host,
      .labels = *labels,
      .join_token = flags.join_token,
      .state_dir = flags.state_dir,
      .vm = {.bind_address = flags.bind_address,
             .bridge = flags.bridge,
             .network = flags.network,
             .accelerator = accelerator},
      .capacity_memory_bytes = app::Allocatable(facts.memory_bytes, *reserve_memory),
      .capacity_cpus = static_cast<int32_t>(app::Allocatable(facts.cpus, flags.reserve_cpus)),
      .architecture = facts.architecture,
      .agent_version = kVersion,
      .nanos_versions = [&releases] { return releases.LocalVersions(); },
      .report_interval = absl::Seconds(flags.report_interval),
  };
  options.local.grace_period = absl::Seconds(flags.unassigned_grace);
  app::AgentDeps deps{
      .driver = driver->get(),
      .link = link->get(),
      .build = app::MakeNanosImageBuild(builder, images, link->get(),
                                        {.artifact_dir = flags.state_dir + "/artifacts",
                                         .package_dir = flags.state_dir + "/packages",
                                         .direct_boot = flags.direct_boot}),
      .metrics = &metrics,
  };
  auto agent = app::Agent::Create(std::move(options), std::move(deps));
  if (!agent.ok()) {
    return Fail("agent", agent.status());
  }
  if (absl::Status started = (*agent)->Start(); !started.ok()) {
    return Fail("start", started);
  }
  Log(LogLevel::kInfo, "agent running",
      {{"controller", flags.controller},
       {"accelerator", std::string(ToString(accelerator))},
       {"metrics", (*endpoints)->address()}});
  WaitForSignal(signals);
  // The link calls into the agent: stop the agent's loops, then the link,
  // then let the agent go.
  (*agent)->Stop();
  link->reset();
  agent->reset();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  CLI::App app{"nanoplane-agent: runs this host's Nanos unikernels for a nanoplane controller",
               "nanoplane-agent"};
  app.set_version_flag("--version", kVersion);
  app.add_option("--controller", flags.controller, "host:port of the controller's agent hub")
      ->required();
  app.add_option("--join-token", flags.join_token, "The token the controller admits hosts with")
      ->required();
  app.add_option("--ca-file", flags.ca_file, "Trust this CA for the controller (TLS)");
  app.add_option("--host", flags.host, "Host name to register as (default: the host's name)");
  app.add_option("--label", flags.labels, "KEY=VALUE label of this host (repeat)");
  app.add_option("--state-dir", flags.state_dir, "Assignment, VMs, logs, images, artifacts")
      ->capture_default_str();
  app.add_option("--nanos-dir", flags.nanos_dir,
                 "Nanos release directory (or one of <version>/); default $NANOS_RELEASE_DIR");
  app.add_option("--accel", flags.accel, "auto, kvm or tcg")
      ->check(CLI::IsMember({"auto", "kvm", "tcg"}))
      ->capture_default_str();
  app.add_option("--bind-address", flags.bind_address, "Host address of port forwards")
      ->capture_default_str();
  app.add_option("--bridge", flags.bridge, "Attach VMs to this Linux bridge instead");
  app.add_option("--network", flags.network, "Attach VMs to this libvirt network instead");
  app.add_option("--metrics-address", flags.metrics_address, "host:port of /metrics and /healthz")
      ->capture_default_str();
  app.add_option("--reserve-memory", flags.reserve_memory, "Memory kept from VMs, e.g. 1Gi")
      ->capture_default_str();
  app.add_option("--reserve-cpus", flags.reserve_cpus, "CPUs kept from VMs")->capture_default_str();
  app.add_flag("--direct-boot", flags.direct_boot, "Boot kernel.img directly, not the boot sector");
  app.add_option("--report-interval", flags.report_interval, "Seconds between full reports")
      ->capture_default_str();
  app.add_option("--unassigned-grace", flags.unassigned_grace,
                 "Seconds a VM no longer assigned keeps running before it is stopped")
      ->capture_default_str();
  app.add_option("--log-level", flags.log_level, "debug, info, warn or error")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return Run(flags);
}
