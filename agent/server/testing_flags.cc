#include "agent/server/testing_flags.h"

#include "common/strings.h"

namespace nanoplane::agent {

void AddTestingFlags(CLI::App& app, TestingFlags& flags) {
  constexpr const char* kGroup = "Testing (not for production)";
  app.add_option("--driver", flags.driver,
                 "libvirt, or simulated: no VMs and no image builds, for tests and scale runs")
      ->check(CLI::IsMember({"libvirt", "simulated"}))
      ->capture_default_str()
      ->group(kGroup);
  app.add_option("--simulated-boot", flags.simulated_boot,
                 "With --driver simulated: time until a VM passes its readiness probe")
      ->capture_default_str()
      ->group(kGroup);
  app.add_option("--test-guest", flags.test_guest_dir,
                 "Boot the Linux test guest (built in DIR) instead of Nanos images; the image "
                 "args become the kernel command line")
      ->type_name("DIR")
      ->group(kGroup);
}

absl::Status ApplyTestingFlags(const TestingFlags& flags, AgentServerOptions& options) {
  options.driver = flags.driver == "simulated" ? AgentDriver::kSimulated : AgentDriver::kLibvirt;
  if (!absl::ParseDuration(flags.simulated_boot, &options.simulated_boot) ||
      options.simulated_boot < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        StrCat("--simulated-boot \"", flags.simulated_boot, "\": expected a duration like 100ms"));
  }
  if (options.driver == AgentDriver::kSimulated && !flags.test_guest_dir.empty()) {
    return absl::InvalidArgumentError("--test-guest needs --driver libvirt");
  }
  options.test_guest_dir = flags.test_guest_dir;
  return absl::OkStatus();
}

}  // namespace nanoplane::agent
