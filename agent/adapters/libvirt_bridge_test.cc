// Bridged networking, live: the test guest on a Linux bridge, reached at its
// own address, which the driver reports.
//
// Isolation: the test moves itself into a network namespace of its own
// (unshare) and creates the bridge there, so no traffic can leave it. libvirtd
// lives in the host's namespace and could not plug a VM into that bridge, so
// the driver uses libvirt's embedded QEMU driver (qemu:///embed), which runs
// in this process and starts QEMU here, in the namespace.

#include <sched.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/adapters/accelerator.h"
#include "agent/adapters/libvirt_vm_driver.h"
#include "agent/adapters/subprocess.h"
#include "agent/testing/test_guest.h"
#include "common/strings.h"
#include "common/testing/require.h"
#include "gtest/gtest.h"

namespace nanoplane::agent {
namespace {

namespace fs = std::filesystem;

constexpr char kBridge[] = "npbr0";
constexpr char kHostAddress[] = "10.0.2.2/24";  // the test guest's gateway
constexpr char kGuestAddress[] = "10.0.2.15";   // the test guest's static address
constexpr absl::Duration kBootTimeout = absl::Seconds(90);

bool Succeeds(const std::vector<std::string>& argv, std::string* output = nullptr) {
  absl::StatusOr<CommandResult> result = RunCommand(argv, absl::Seconds(30));
  if (output != nullptr) {
    *output = result.ok() ? result->output : std::string(result.status().message());
  }
  return result.ok() && result->exit_code == 0;
}

class LibvirtBridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NP_SKIP_UNLESS_AVAILABLE(geteuid() == 0 && unshare(CLONE_NEWNET) == 0, "libvirt",
                             "needs root to make a network namespace of its own");
    std::string output;
    for (const std::vector<std::string>& step :
         {std::vector<std::string>{"ip", "link", "set", "lo", "up"},
          {"ip", "link", "add", kBridge, "type", "bridge"},
          {"ip", "addr", "add", kHostAddress, "dev", kBridge},
          {"ip", "link", "set", kBridge, "up"}}) {
      ASSERT_TRUE(Succeeds(step, &output)) << StrJoin(step, " ") << ": " << output;
    }
    root_ = StrCat(fs::temp_directory_path().string(), "/np-bridge-", getpid());
    absl::StatusOr<testing::TestGuest> guest =
        testing::MakeTestGuest((fs::temp_directory_path() / "nanoplane-test-guest").string());
    ASSERT_TRUE(guest.ok()) << guest.status();
    guest_ = *guest;
    // The embedded driver must not relabel the host's kernel (shared with
    // libvirtd's VMs) for its QEMU: this one runs as root.
    const fs::path conf = fs::path(root_) / "libvirt/etc/qemu/qemu.conf";
    fs::create_directories(conf.parent_path());
    std::ofstream(conf) << "security_driver = \"none\"\nremember_owner = 0\n";
    absl::StatusOr<std::unique_ptr<LibvirtVmDriver>> driver =
        LibvirtVmDriver::Open({.uri = StrCat("qemu:///embed?root=", root_, "/libvirt"),
                               .state_dir = root_ + "/vms",
                               .domain_log_dir = root_ + "/libvirt/log/qemu",
                               .pid_dir = root_ + "/libvirt/run/qemu"});
    ASSERT_TRUE(driver.ok()) << driver.status();
    driver_ = *std::move(driver);
  }

  void TearDown() override {
    if (driver_ != nullptr) {
      (void)driver_->Delete(name_, {.remove_console_log = true});
    }
    driver_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::string root_;
  std::string name_ = StrCat("np-bridge-", getpid());
  testing::TestGuest guest_;
  std::unique_ptr<LibvirtVmDriver> driver_;
};

TEST_F(LibvirtBridgeTest, TheGuestIsReachedAtItsOwnAddressAndTheDriverReportsIt) {
  const VmSpec spec{.identity = {.name = name_, .unikernel = "web", .revision = 1},
                    .memory_bytes = 128 << 20,
                    .vcpus = 1,
                    .boot = testing::TestGuestBoot(guest_, "np.mode=http"),
                    .network = BridgeNetwork{.bridge = kBridge},
                    .accelerator = DetectAccelerator()};
  absl::StatusOr<VmInfo> created = driver_->Create(spec);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(created->ports.empty()) << "a bridged guest needs no port forwards";

  // Asking the guest for a page also puts it in the neighbour table.
  const std::string url = StrCat("http://", kGuestAddress, ":8080/");
  std::string page;
  std::string address;
  const absl::Time deadline = absl::Now() + kBootTimeout;
  while (absl::Now() < deadline &&
         (page.find(testing::kTestGuestBody) == std::string::npos || address != kGuestAddress)) {
    (void)Succeeds({"curl", "-s", "-m", "2", url}, &page);
    absl::StatusOr<VmInfo> info = driver_->Get(name_);
    address = info.ok() ? info->address : "";
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_NE(page.find(testing::kTestGuestBody), std::string::npos) << page;
  EXPECT_EQ(address, kGuestAddress);
}

}  // namespace
}  // namespace nanoplane::agent
