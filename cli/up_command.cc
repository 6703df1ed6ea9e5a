#include "cli/up_command.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <random>

#include "agent/image/release/release_store.h"
#include "agent/server/agent_server.h"
#include "agent/server/testing_flags.h"
#include "common/log.h"
#include "common/strings.h"
#include "controller/server/controller_server.h"

namespace nanoplane::cli {
namespace {

struct UpFlags {
  std::string data_dir;
  std::string api_address = "127.0.0.1:7443";
  std::string nanos_dir;
  std::vector<std::string> nanos_sha256;
  std::string accel = "auto";
  std::string log_level = "info";
  std::string manifests_dir;
  int manifests_resync_seconds = 30;
  agent::TestingFlags testing;
};

// Root's home is closed to others (0700), and QEMU, running as libvirt's
// unprivileged user, must reach the VMs' disks under the data directory: root
// gets the system location, as a system service would.
std::string DefaultDataDir() {
  if (geteuid() == 0) {
    return "/var/lib/nanoplane";
  }
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) {
    return StrCat(xdg, "/nanoplane");
  }
  const char* home = std::getenv("HOME");
  return StrCat(home && *home ? home : "/tmp", "/.local/share/nanoplane");
}

// The local agent's join token: nobody else needs to know it.
std::string RandomToken() {
  std::random_device random;
  return StrCat(random(), random(), random(), random());
}

int Up(const UpFlags& flags) {
  SetLogLevel(flags.log_level);
  auto accel = agent::ParseAcceleratorMode(flags.accel);
  if (!accel.ok()) {
    std::cerr << "error: " << accel.status().message() << "\n";
    return 2;
  }
  agent::AgentServerOptions agent_options{.nanos_dir = flags.nanos_dir,
                                          .nanos_sha256 = flags.nanos_sha256,
                                          .accel = *accel,
                                          .metrics_address = "127.0.0.1:0"};
  // Bad flags stop `up` before anything starts.
  if (absl::Status status = image::ParseReleasePins(flags.nanos_sha256).status(); !status.ok()) {
    std::cerr << "error: " << status.message() << "\n";
    return 2;
  }
  if (absl::Status status = agent::ApplyTestingFlags(flags.testing, agent_options); !status.ok()) {
    std::cerr << "error: " << status.message() << "\n";
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::string data_dir = flags.data_dir.empty() ? DefaultDataDir() : flags.data_dir;
  std::string token = RandomToken();
  auto controller = controller::ControllerServer::Start(
      {.data_dir = data_dir + "/controller",
       .api_address = flags.api_address,
       .agent_address = "127.0.0.1:0",
       .metrics_address = "127.0.0.1:0",
       .join_token = token,
       .manifests_dir = flags.manifests_dir,
       .manifests_resync = absl::Seconds(flags.manifests_resync_seconds)});
  if (!controller.ok()) {
    std::cerr << "error: controller: " << controller.status().message() << "\n";
    return 1;
  }
  agent_options.controller = (*controller)->agent_address();
  agent_options.join_token = token;
  agent_options.state_dir = data_dir + "/agent";
  auto local_agent = agent::AgentServer::Start(std::move(agent_options));
  if (!local_agent.ok()) {
    std::cerr << "error: local agent: " << local_agent.status().message()
              << "\n(is libvirtd running? scripts/libvirtd start)\n";
    return 1;
  }
  std::string api = (*controller)->api_address();
  std::cout << "nanoplane is up: controller API " << api << ", local agent ("
            << ToString((*local_agent)->accelerator()) << "), data in " << data_dir << "\n"
            << "Next, in another shell:\n"
            << "  export NANOPLANE_CONTROLLER=" << api << "\n"
            << "  nanoplane apply -f examples/web.yaml\n"
            << "  nanoplane get unikernels\n"
            << "  nanoplane get instances -o wide      # the addresses to curl\n"
            << "Ctrl-C stops the control plane; the VMs keep running.\n"
            << std::flush;
  int received = 0;
  sigwait(&signals, &received);
  local_agent->reset();
  controller->reset();
  return 0;
}

}  // namespace

void RegisterUpCommand(CLI::App& app) {
  auto flags = std::make_shared<UpFlags>();
  auto* up = app.add_subcommand(
      "up", "Run the controller and a local agent in one process (embedded store, loopback only)");
  up->add_option(
      "--data-dir", flags->data_dir,
      "Store, images and logs (default /var/lib/nanoplane as root, else ~/.local/share/nanoplane)");
  up->add_option("--api-address", flags->api_address, "The controller API")->capture_default_str();
  up->add_option(
      "--nanos-dir", flags->nanos_dir,
      "Nanos release directory (kernel.img, boot.img, klibs/); default $NANOS_RELEASE_DIR");
  up->add_option("--nanos-sha256", flags->nanos_sha256,
                 "VERSION=SHA256 of a release tarball, to download and verify it (repeat)");
  up->add_option("--accel", flags->accel, "auto, kvm or tcg")->capture_default_str();
  up->add_option("--log-level", flags->log_level, "debug, info, warn or error")
      ->capture_default_str();
  up->add_option("--manifests", flags->manifests_dir,
                 "Keep the Unikernels of this directory (recursively) applied: GitOps");
  up->add_option("--manifests-resync", flags->manifests_resync_seconds,
                 "Seconds between full re-reads of --manifests (changes are seen at once)")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  agent::AddTestingFlags(*up, flags->testing);
  up->callback([flags] {
    int code = Up(*flags);
    if (code != 0) {
      throw CLI::RuntimeError(code);
    }
  });
}

}  // namespace nanoplane::cli
