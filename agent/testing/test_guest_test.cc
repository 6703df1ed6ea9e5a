#include "agent/testing/test_guest.h"

#include <unistd.h>

#include <filesystem>

#include "common/testing/require.h"
#include "gtest/gtest.h"

namespace nanoplane::agent::testing {
namespace {

TEST(TestGuestTest, InitLoadsModulesInOrderAndFollowsTheCmdline) {
  std::string init = TestGuestInit({"virtio_ring", "virtio"});
  EXPECT_EQ(init.rfind("#!/bin/busybox sh\n", 0), 0u);
  EXPECT_NE(init.find("for m in virtio_ring virtio; do"), std::string::npos);
  EXPECT_NE(init.find("ip addr add 10.0.2.15/24 dev eth0"), std::string::npos);
  EXPECT_NE(init.find("np-exit \"$code\""), std::string::npos);
  EXPECT_NE(init.find("echo c > /proc/sysrq-trigger"), std::string::npos);
}

TEST(TestGuestTest, BuildsOnceAndReuses) {
  const std::string dir = ::testing::TempDir() + "/np-guest-" + std::to_string(getpid());
  absl::StatusOr<TestGuest> guest = MakeTestGuest(dir);
  NP_SKIP_UNLESS_AVAILABLE(!absl::IsFailedPrecondition(guest.status()), "libvirt", guest.status());
  ASSERT_TRUE(guest.ok()) << guest.status();
  EXPECT_TRUE(std::filesystem::exists(guest->kernel_path));
  EXPECT_GT(std::filesystem::file_size(guest->initrd_path), 100000u);
  auto built = std::filesystem::last_write_time(guest->initrd_path);
  absl::StatusOr<TestGuest> again = MakeTestGuest(dir);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(std::filesystem::last_write_time(again->initrd_path), built);
  EXPECT_EQ(TestGuestBoot(*guest, "np.mode=http").cmdline, "console=ttyS0 quiet np.mode=http");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace nanoplane::agent::testing
