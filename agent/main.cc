// nanoplane-agent: runs this host's share of the fleet. Flag parsing only:
// the flags map onto AgentServerOptions, and AgentServer (agent/server) wires
// the agent, as for `nanoplane up`.

#include <signal.h>

#include <cstdlib>
#include <iostream>

#include "CLI/CLI.hpp"
#include "agent/server/agent_server.h"
#include "agent/server/testing_flags.h"
#include "common/log.h"
#include "common/quantity.h"
#include "common/status.h"
#include "common/strings.h"

namespace {

using namespace nanoplane;         // NOLINT: wiring code names many of its types
using namespace nanoplane::agent;  // NOLINT

constexpr const char* kVersion = "0.1.0";

// The flags as typed; Options() maps them onto AgentServerOptions.
struct Flags {
  AgentServerOptions server{.cpu_overcommit = 1};
  std::vector<std::string> labels;
  std::string accel = "auto";
  std::string reserve_memory = "0";
  TestingFlags testing;
  std::string log_level = "info";
};

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

absl::StatusOr<AgentServerOptions> Options(const Flags& flags) {
  AgentServerOptions options = flags.server;
  NP_ASSIGN_OR_RETURN(options.labels, ParseLabels(flags.labels));
  NP_ASSIGN_OR_RETURN(options.reserve_memory, ParseQuantity(flags.reserve_memory));
  NP_ASSIGN_OR_RETURN(options.accel, ParseAcceleratorMode(flags.accel));
  NP_RETURN_IF_ERROR(ApplyTestingFlags(flags.testing, options));
  return options;
}

int Run(const Flags& flags) {
  SetLogLevel(flags.log_level);
  absl::StatusOr<AgentServerOptions> options = Options(flags);
  if (!options.ok()) {
    std::cerr << "nanoplane-agent: flags: " << options.status().message() << "\n";
    return 1;
  }
  // Blocked in every thread before they start; sigwait below takes them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::unique_ptr<AgentServer>> server = AgentServer::Start(*std::move(options));
  if (!server.ok()) {
    std::cerr << "nanoplane-agent: " << server.status().message() << "\n";
    return 1;
  }
  int signal = 0;
  sigwait(&signals, &signal);
  Log(LogLevel::kInfo, "stopping; VMs keep running", {{"signal", StrCat(signal)}});
  server->reset();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  CLI::App app{"nanoplane-agent: runs this host's Nanos unikernels for a nanoplane controller",
               "nanoplane-agent"};
  app.set_version_flag("--version", kVersion);
  app.add_option("--controller", flags.server.controller, "host:port of the controller's agent hub")
      ->required();
  app.add_option("--join-token", flags.server.join_token,
                 "The token the controller admits hosts with")
      ->required();
  app.add_option("--ca-file", flags.server.ca_file, "Trust this CA for the controller (TLS)");
  app.add_option("--host", flags.server.host,
                 "Host name to register as (default: the host's name)");
  app.add_option("--label", flags.labels, "KEY=VALUE label of this host (repeat)");
  app.add_option("--state-dir", flags.server.state_dir, "Assignment, VMs, logs, images, artifacts")
      ->capture_default_str();
  app.add_option("--nanos-dir", flags.server.nanos_dir,
                 "Nanos release directory (or one of <version>/); default $NANOS_RELEASE_DIR");
  app.add_option("--nanos-sha256", flags.server.nanos_sha256,
                 "VERSION=SHA256 of a release tarball, to download and verify it (repeat)");
  app.add_option("--nanos-url", flags.server.nanos_url, "Release tarball URL, {version} replaced")
      ->capture_default_str();
  app.add_option("--accel", flags.accel, "auto, kvm or tcg")
      ->check(CLI::IsMember({"auto", "kvm", "tcg"}))
      ->capture_default_str();
  app.add_option("--bind-address", flags.server.bind_address, "Host address of port forwards")
      ->capture_default_str();
  app.add_option("--bridge", flags.server.bridge, "Attach VMs to this Linux bridge instead");
  app.add_option("--network", flags.server.network, "Attach VMs to this libvirt network instead");
  app.add_option("--metrics-address", flags.server.metrics_address,
                 "host:port of /metrics and /healthz")
      ->capture_default_str();
  app.add_option("--reserve-memory", flags.reserve_memory, "Memory kept from VMs, e.g. 1Gi")
      ->capture_default_str();
  app.add_option("--reserve-cpus", flags.server.reserve_cpus, "CPUs kept from VMs")
      ->capture_default_str();
  app.add_option("--cpu-overcommit", flags.server.cpu_overcommit, "vCPUs offered per host CPU")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_flag("--direct-boot", flags.server.direct_boot,
               "Boot kernel.img directly, not the boot sector");
  app.add_option("--report-interval", flags.server.report_interval_seconds,
                 "Seconds between full reports")
      ->capture_default_str();
  app.add_option("--unassigned-grace", flags.server.unassigned_grace_seconds,
                 "Seconds a VM no longer assigned keeps running before it is stopped")
      ->capture_default_str();
  AddTestingFlags(app, flags.testing);
  app.add_option("--log-level", flags.log_level, "debug, info, warn or error")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return Run(flags);
}
