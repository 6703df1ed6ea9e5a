#include "agent/testing/fake_vm_driver.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nanoplane::agent::testing {
namespace {

using ::testing::ElementsAre;

VmSpec Spec(std::string name, int guest_port = 8080) {
  return VmSpec{.identity = {.name = std::move(name), .unikernel = "web", .revision = 2},
                .memory_bytes = 64 << 20,
                .boot = BiosBoot{},
                .base_image = "/img",
                .network = UserNetwork{.forwards = {{.guest_port = guest_port}}}};
}

TEST(FakeVmDriverTest, CreatesListsAndAllocatesDistinctPorts) {
  FakeVmDriver driver;
  driver.SetNow(absl::FromUnixSeconds(100));
  absl::StatusOr<VmInfo> a = driver.Create(Spec("b"));
  absl::StatusOr<VmInfo> b = driver.Create(Spec("a"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->ports[0].forward.host_port, b->ports[0].forward.host_port);
  EXPECT_EQ(a->state, VmState::kRunning);
  EXPECT_EQ(a->started_at, absl::FromUnixSeconds(100));
  absl::StatusOr<std::vector<VmInfo>> list = driver.List();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].identity.name, "a");
  EXPECT_EQ(driver.Create(Spec("a")).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(driver.Create(Spec("Bad_Name")).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FakeVmDriverTest, StopDestroyDeleteFollowTheContract) {
  FakeVmDriver driver;
  ASSERT_TRUE(driver.Create(Spec("web-0")).ok());
  ASSERT_TRUE(driver.Stop("web-0", absl::Seconds(1)).ok());
  EXPECT_EQ(driver.Get("web-0")->stop_reason, StopReason::kShutdown);
  EXPECT_TRUE(driver.Stop("web-0", absl::Seconds(1)).ok()) << "idempotent";
  EXPECT_TRUE(driver.Destroy("web-0").ok()) << "idempotent";
  EXPECT_EQ(driver.Get("web-0")->stop_reason, StopReason::kShutdown);
  ASSERT_TRUE(driver.Create(Spec("web-0")).ok()) << "a stopped VM can be recreated";
  driver.SetIgnoresAcpi(true);
  ASSERT_TRUE(driver.Stop("web-0", absl::Seconds(1)).ok());
  EXPECT_EQ(driver.Get("web-0")->stop_reason, StopReason::kDestroyed);
  ASSERT_TRUE(driver.Delete("web-0", {}).ok());
  EXPECT_EQ(driver.Get("web-0").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(driver.Delete("web-0", {}).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(driver.Stop("nope", absl::Seconds(1)).code(), absl::StatusCode::kNotFound);
}

TEST(FakeVmDriverTest, SimulatedGuestExitsAndCrashesAreReportedAndWatched) {
  FakeVmDriver driver;
  std::vector<VmEvent> events;
  ASSERT_TRUE(driver.Watch([&](const VmEvent& event) { events.push_back(event); }).ok());
  VmSpec spec = Spec("job-0");
  spec.debug_exit = true;
  ASSERT_TRUE(driver.Create(spec).ok());
  ASSERT_TRUE(driver.SimulateExit("job-0", 3).ok());
  EXPECT_EQ(driver.Get("job-0")->exit_code, 3);
  EXPECT_EQ(driver.SimulateCrash("job-0").code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(driver.Create(spec).ok());
  ASSERT_TRUE(driver.SimulateCrash("job-0").ok());
  EXPECT_EQ(driver.Get("job-0")->state, VmState::kCrashed);
  EXPECT_TRUE(events.empty()) << "events wait for DeliverEvents";
  EXPECT_EQ(driver.DeliverEvents(), 6);
  std::vector<VmEventType> types;
  for (const VmEvent& event : events) {
    types.push_back(event.type);
  }
  EXPECT_THAT(types,
              ElementsAre(VmEventType::kDefined, VmEventType::kStarted, VmEventType::kStopped,
                          VmEventType::kStarted, VmEventType::kCrashed, VmEventType::kStopped));
  EXPECT_EQ(events[2].exit_code, 3);
  EXPECT_EQ(events[2].stop_reason, StopReason::kExited);
}

TEST(FakeVmDriverTest, InjectedFailuresHitOnlyTheNextCall) {
  FakeVmDriver driver;
  driver.FailNext(VmOp::kCreate, absl::UnavailableError("libvirtd down"));
  EXPECT_EQ(driver.Create(Spec("a")).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(driver.Create(Spec("a")).ok());
  EXPECT_EQ(driver.Calls(VmOp::kCreate), 2);
  EXPECT_EQ(driver.SpecOf("a")->identity.revision, 2);
}

TEST(FakeVmDriverTest, FixedHostPortsCollideWithAllocatedOnes) {
  FakeVmDriver driver;
  absl::StatusOr<VmInfo> a = driver.Create(Spec("a"));
  ASSERT_TRUE(a.ok());
  VmSpec b = Spec("b");
  std::get<UserNetwork>(b.network).forwards[0].host_port = a->ports[0].forward.host_port;
  EXPECT_EQ(driver.Create(b).status().code(), absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace nanoplane::agent::testing
