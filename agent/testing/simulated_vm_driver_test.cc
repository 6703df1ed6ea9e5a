#include "agent/testing/simulated_vm_driver.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "common/strings.h"
#include "gtest/gtest.h"

namespace nanoplane::agent::testing {
namespace {

namespace fs = std::filesystem;

VmSpec Spec(std::string name) {
  return VmSpec{.identity = {.name = std::move(name),
                             .namespace_name = "default",
                             .unikernel = "web",
                             .uid = "u1",
                             .revision = 2,
                             .spec_hash = "abc"},
                .memory_bytes = 64 << 20,
                .network = UserNetwork{.forwards = {{.name = "http", .guest_port = 8080}}}};
}

class SimulatedVmDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() / StrCat("np-sim-", getpid(), "-", counter_++)).string();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::unique_ptr<SimulatedVmDriver> Open(absl::Duration boot = absl::Milliseconds(100)) {
    absl::StatusOr<std::unique_ptr<SimulatedVmDriver>> driver =
        SimulatedVmDriver::Open({.state_dir = dir_, .boot_time = boot});
    EXPECT_TRUE(driver.ok()) << driver.status();
    return driver.ok() ? std::move(*driver) : nullptr;
  }

  static inline std::atomic<int> counter_ = 0;
  std::string dir_;
};

TEST_F(SimulatedVmDriverTest, VmsOutliveTheDriverLikeLibvirtDomains) {
  VmInfo web0, web1;
  {
    std::unique_ptr<SimulatedVmDriver> driver = Open();
    web0 = *driver->Create(Spec("web-0"));
    web1 = *driver->Create(Spec("web-1"));
    ASSERT_TRUE(driver->Create(Spec("web-2")).ok());
    ASSERT_TRUE(driver->Stop("web-1", absl::Seconds(1)).ok());
    ASSERT_TRUE(driver->Delete("web-2", {}).ok());
  }
  std::unique_ptr<SimulatedVmDriver> reopened = Open();
  absl::StatusOr<std::vector<VmInfo>> vms = reopened->List();
  ASSERT_TRUE(vms.ok());
  ASSERT_EQ(vms->size(), 2u);
  const VmInfo& adopted = (*vms)[0];
  EXPECT_EQ(adopted.identity, web0.identity);
  EXPECT_EQ(adopted.state, VmState::kRunning);
  EXPECT_EQ(adopted.ports, web0.ports);
  // The nanosecond form keeps the start time exactly: the agent sees the run
  // it watched, not a new one.
  EXPECT_EQ(adopted.started_at, web0.started_at);
  EXPECT_EQ((*vms)[1].identity, web1.identity);
  EXPECT_EQ((*vms)[1].state, VmState::kShutOff);
}

TEST_F(SimulatedVmDriverTest, BootedOnceTheBootTimeHasPassed) {
  std::unique_ptr<SimulatedVmDriver> driver = Open(absl::Milliseconds(200));
  const int port = driver->Create(Spec("web-0"))->ports[0].forward.host_port;
  EXPECT_FALSE(driver->Booted(port));
  EXPECT_FALSE(driver->Booted(port + 1)) << "no VM forwards it";
  absl::SleepFor(absl::Milliseconds(250));
  EXPECT_TRUE(driver->Booted(port));
  ASSERT_TRUE(driver->Stop("web-0", absl::Seconds(1)).ok());
  EXPECT_FALSE(driver->Booted(port));
}

TEST_F(SimulatedVmDriverTest, DeliversEventsOnItsOwnThread) {
  std::unique_ptr<SimulatedVmDriver> driver = Open();
  absl::Mutex mu;
  std::vector<VmEventType> events;
  ASSERT_TRUE(driver
                  ->Watch([&](const VmEvent& event) {
                    absl::MutexLock lock(&mu);
                    events.push_back(event.type);
                  })
                  .ok());
  ASSERT_TRUE(driver->Create(Spec("web-0")).ok());
  absl::MutexLock lock(&mu);
  EXPECT_TRUE(
      mu.AwaitWithTimeout(absl::Condition(
                              +[](std::vector<VmEventType>* e) { return e->size() >= 2; }, &events),
                          absl::Seconds(10)));
  EXPECT_EQ(events, (std::vector<VmEventType>{VmEventType::kDefined, VmEventType::kStarted}));
}

TEST_F(SimulatedVmDriverTest, ACorruptStateFileIsDataLoss) {
  fs::create_directories(dir_);
  std::ofstream(dir_ + "/simulated-vms.tsv") << "web-0\tonly two\n";
  EXPECT_EQ(SimulatedVmDriver::Open({.state_dir = dir_}).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace nanoplane::agent::testing
