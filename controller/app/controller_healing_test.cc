// The controller app when hosts and the controller itself go away: eviction
// and return of a host, and restarts that must neither duplicate nor lose an
// instance.

#include <gtest/gtest.h>

#include "controller/app/controller.h"
#include "controller/app/controller_test_harness.h"

namespace nanoplane::controller::app::testing {
namespace {

class ControllerHealingTest : public ControllerHarness {
 protected:
  void SetUp() override {
    AddAgents(3);
    StartController();
  }

  // The phase the status lists for `name`'s instance on `host`.
  v1alpha1::InstancePhase PhaseOn(const std::string& name, const std::string& host) {
    v1alpha1::Unikernel object = Get(name);
    for (const v1alpha1::InstanceStatus& instance : object.status().instances()) {
      if (instance.host() == host) {
        return instance.phase();
      }
    }
    return v1alpha1::INSTANCE_PHASE_UNSPECIFIED;
  }

  // The most instances of `name` its agents run at once over `period`.
  int MostRunningOver(const std::string& name, absl::Duration period) {
    int most = 0;
    absl::Time end = absl::Now() + period;
    while (absl::Now() < end) {
      most = std::max(most, static_cast<int>(Running(name).size()));
      absl::SleepFor(absl::Milliseconds(10));
    }
    return most;
  }
};

TEST_F(ControllerHealingTest, ALostHostsInstancesAreReplacedAfterEvictionAndTheSurplusStopped) {
  Apply(MakeUnikernel("web", 3));
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 3); })) << Describe("web");
  ASSERT_EQ(agents_[0]->host().Running().size(), 1u);
  agents_[0]->SetDown(true);
  // Within grace and eviction timeout (0.3 s + 1 s) nothing is replaced.
  absl::SleepFor(absl::Milliseconds(600));
  EXPECT_EQ(Running("web").size(), 3u);
  EXPECT_EQ(PhaseOn("web", "h1"), v1alpha1::UNKNOWN_PHASE);
  // Then a replacement runs on a Ready host, while the lost one (its VM runs
  // on, unreachable) stays listed as Unknown.
  ASSERT_TRUE(WaitFor([&] {
    return Get("web").status().ready_replicas() == 3 && Running("web").size() == 4u;
  })) << Describe("web");
  EXPECT_EQ(PhaseOn("web", "h1"), v1alpha1::UNKNOWN_PHASE);
  agents_[0]->SetDown(false);
  // Back: one of the four is surplus and stopped.
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 3); })) << Describe("web");
  EXPECT_EQ(MostRunningOver("web", absl::Milliseconds(300)), 3);
}

TEST_F(ControllerHealingTest, AHostBackWithinTheEvictionTimeoutKeepsItsInstance) {
  Apply(MakeUnikernel("web", 3));
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 3); })) << Describe("web");
  std::map<std::string, std::string> before = Running("web");
  agents_[1]->SetDown(true);
  absl::SleepFor(absl::Milliseconds(500));  // NotReady, not evicted
  agents_[1]->SetDown(false);
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 3); })) << Describe("web");
  EXPECT_EQ(MostRunningOver("web", absl::Milliseconds(1200)), 3);
  EXPECT_EQ(Running("web"), before);
}

TEST_F(ControllerHealingTest, ARestartedControllerNeitherDuplicatesNorLosesInstances) {
  Apply(MakeUnikernel("web", 3));
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 3); })) << Describe("web");
  std::map<std::string, std::string> before = Running("web");
  // As kill -9: no goodbye; the new process has a new hub with no sessions.
  StopController();
  hub_.Restart();
  StartController();
  EXPECT_EQ(MostRunningOver("web", absl::Milliseconds(800)), 3);
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 3); })) << Describe("web");
  EXPECT_EQ(Running("web"), before);
}

TEST_F(ControllerHealingTest, ARestartWhileAHostIsSilentRebuildsItsInstancesFromTheStore) {
  Apply(MakeUnikernel("web", 3));
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 3); })) << Describe("web");
  std::map<std::string, std::string> before = Running("web");
  StopController();
  hub_.Restart();
  agents_[2]->SetDown(true);
  StartController();  // waits the grace period for h3, then gives up on it
  // h3's instance is known from the stored status: it counts (Unknown) until
  // the eviction timeout instead of being replaced at once.
  EXPECT_EQ(controller_->table().ForKey({.name = "web"}).size(), 3u);
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(Running("web").size(), 3u) << Describe("web");
  EXPECT_EQ(PhaseOn("web", "h3"), v1alpha1::UNKNOWN_PHASE);
  ASSERT_TRUE(WaitFor([&] {
    return Get("web").status().ready_replicas() == 3 && Running("web").size() == 4u;
  })) << Describe("web");
  agents_[2]->SetDown(false);
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 3); })) << Describe("web");
}

TEST_F(ControllerHealingTest, ARestartMidRolloutFinishesTheRolloutWithoutDuplicates) {
  Apply(MakeUnikernel("web", 4));
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 4); })) << Describe("web");
  Change("web", [](v1alpha1::Unikernel& o) {
    o.mutable_spec()->mutable_template_()->mutable_image()->set_args(0, "v2");
  });
  absl::SleepFor(absl::Milliseconds(120));
  StopController();
  hub_.Restart();
  StartController();
  ASSERT_TRUE(WaitFor([&] { return Converged("web", 4); })) << Describe("web");
  EXPECT_EQ(MostRunningOver("web", absl::Milliseconds(300)), 4);
}

TEST_F(ControllerHealingTest, ControllerIsNotReadyUntilKnownHostsSayHello) {
  ASSERT_TRUE(WaitFor([&] {
    absl::StatusOr<std::vector<ports::HostRecord>> hosts = store_.ListHosts();
    return hosts.ok() && hosts->size() == 3;
  })) << "the registry learns the hosts from their hellos";
  StopController();
  hub_.Restart();
  for (auto& agent : agents_) {
    agent->SetDown(true);
  }
  metrics_ = std::make_unique<MetricsRegistry>();
  controller_ = std::make_unique<Controller>(store_, hub_, *metrics_, FastOptions());
  controller_->Start();
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_FALSE(controller_->Ready());
  EXPECT_FALSE(controller_->ReadyReason().empty());
  for (auto& agent : agents_) {
    agent->SetDown(false);
  }
  ASSERT_TRUE(WaitFor([&] { return controller_->Ready(); }, absl::Seconds(2)));
  EXPECT_TRUE(controller_->ReadyReason().empty());
}

}  // namespace
}  // namespace nanoplane::controller::app::testing
