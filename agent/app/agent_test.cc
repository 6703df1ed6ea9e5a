// The Agent against FakeVmDriver, a fake controller link, an injected build
// and a simulated clock: rounds are driven by the test (SyncOnce, ProbeOnce).

#include "agent/app/agent.h"

#include <filesystem>

#include "agent/app/agent_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nanoplane::agent::app::testing {
namespace {

using nanoplane::agent::testing::VmOp;

class AgentTest : public AgentFixture {};

TEST_F(AgentTest, AssignmentIsBuiltStartedAndReportedRunning) {
  std::unique_ptr<Agent> agent = NewAgent();
  ASSERT_TRUE(agent->Apply(MakeAssignment(1, {MakeInstance({})})).ok());
  Converge(*agent);

  EXPECT_EQ(builds_, 1);
  EXPECT_EQ(driver_.Calls(VmOp::kCreate), 1);
  std::optional<VmSpec> spec = driver_.SpecOf("web-0");
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(spec->base_image, "/fake/image.raw");
  EXPECT_EQ(spec->memory_bytes, 256 << 20);
  EXPECT_TRUE(spec->debug_exit);
  EXPECT_EQ(spec->console_log, agent->ConsoleLogPath("web-0"));
  const auto& user = std::get<UserNetwork>(spec->network);
  EXPECT_EQ(user.host_address, "127.0.0.1");
  ASSERT_EQ(user.forwards.size(), 1u);
  EXPECT_EQ(user.forwards[0].guest_port, 8080);

  v1::InstanceReport report = ReportOf(*agent, "web-0");
  EXPECT_EQ(report.phase(), v1alpha1::RUNNING);
  EXPECT_TRUE(report.ready());
  ASSERT_EQ(report.ports_size(), 1);
  EXPECT_EQ(report.ports(0).port(), 8080);
  EXPECT_EQ(report.ports(0).host_ip(), "127.0.0.1");
  EXPECT_GE(report.ports(0).host_port(), 40000);
  EXPECT_FALSE(report.started_at().empty());
  EXPECT_EQ(agent->CurrentReport().assignment_generation(), 1);
}

TEST_F(AgentTest, TwoInstancesOfOneSpecShareOneBuild) {
  std::unique_ptr<Agent> agent = NewAgent();
  ASSERT_TRUE(agent
                  ->Apply(MakeAssignment(
                      1, {MakeInstance({.name = "web-0"}), MakeInstance({.name = "web-1"})}))
                  .ok());
  Converge(*agent);
  EXPECT_EQ(builds_, 1);
  EXPECT_EQ(driver_.Calls(VmOp::kCreate), 2);
}

TEST_F(AgentTest, NewAgentOverSameStateAdoptsWithoutStopOrStart) {
  {
    std::unique_ptr<Agent> agent = NewAgent();
    ASSERT_TRUE(agent->Apply(MakeAssignment(3, {MakeInstance({})})).ok());
    Converge(*agent);
  }
  ASSERT_EQ(driver_.Calls(VmOp::kCreate), 1);
  Advance(absl::Minutes(1));

  std::unique_ptr<Agent> agent = NewAgent();
  EXPECT_EQ(agent->generation(), 3);
  Converge(*agent);
  EXPECT_EQ(driver_.Calls(VmOp::kCreate), 1);
  EXPECT_EQ(driver_.Calls(VmOp::kStop), 0);
  EXPECT_EQ(driver_.Calls(VmOp::kDestroy), 0);
  EXPECT_EQ(driver_.Calls(VmOp::kDelete), 0);
  EXPECT_EQ(ReportOf(*agent, "web-0").phase(), v1alpha1::RUNNING);
  EXPECT_EQ(builds_, 1) << "an adopted VM needs no image";
}

// A restart of the agent must not make a healthy instance look unavailable:
// the hello already says it is ready.
TEST_F(AgentTest, ARestartedAgentsHelloReportsItsAdoptedHealthyInstancesReady) {
  probe_ok_ = true;
  {
    std::unique_ptr<Agent> agent = NewAgent();
    ASSERT_TRUE(agent->Apply(MakeAssignment(1, {MakeInstance({.readiness = true})})).ok());
    Converge(*agent);
    agent->ProbeOnce();
    Converge(*agent, 1);
    ASSERT_TRUE(ReportOf(*agent, "web-0").ready());
  }
  Advance(absl::Minutes(1));
  std::unique_ptr<Agent> agent = NewAgent();
  ASSERT_TRUE(agent->Start().ok());
  const v1::Hello hello = link_.Hello();
  agent->Stop();
  ASSERT_EQ(hello.instances_size(), 1);
  EXPECT_TRUE(hello.instances(0).ready());
  EXPECT_EQ(driver_.Calls(VmOp::kCreate), 1);
}

TEST_F(AgentTest, CrashedInstanceRestartsAfterBackOff) {
  std::unique_ptr<Agent> agent = NewAgent();
  ASSERT_TRUE(agent->Apply(MakeAssignment(1, {MakeInstance({})})).ok());
  Converge(*agent);
  Advance(absl::Seconds(5));
  ASSERT_TRUE(driver_.SimulateCrash("web-0").ok());

  Converge(*agent, 2);
  EXPECT_EQ(ReportOf(*agent, "web-0").phase(), v1alpha1::BACK_OFF);
  EXPECT_EQ(agent->requeue_after(), absl::Seconds(10));
  EXPECT_EQ(driver_.Calls(VmOp::kCreate), 1);

  Advance(absl::Seconds(10));
  Converge(*agent);
  EXPECT_EQ(driver_.Calls(VmOp::kCreate), 2);
  v1::InstanceReport report = ReportOf(*agent, "web-0");
  EXPECT_EQ(report.phase(), v1alpha1::RUNNING);
  EXPECT_EQ(report.restarts(), 1);

  // A second crash soon after doubles the wait.
  Advance(absl::Seconds(1));
  ASSERT_TRUE(driver_.SimulateCrash("web-0").ok());
  Converge(*agent, 2);
  EXPECT_EQ(agent->requeue_after(), absl::Seconds(20));
}

TEST_F(AgentTest, ExitCodeIsReportedAndNeverPolicyLeavesItStopped) {
  std::unique_ptr<Agent> agent = NewAgent();
  ASSERT_TRUE(
      agent->Apply(MakeAssignment(1, {MakeInstance({.restart_policy = v1alpha1::NEVER})})).ok());
  Converge(*agent);
  ASSERT_TRUE(driver_.SimulateExit("web-0", 3).ok());
  Advance(absl::Minutes(10));
  Converge(*agent);
  v1::InstanceReport report = ReportOf(*agent, "web-0");
  EXPECT_EQ(report.phase(), v1alpha1::FAILED);
  EXPECT_EQ(report.exit_code(), 3);
  EXPECT_EQ(driver_.Calls(VmOp::kCreate), 1);
}

TEST_F(AgentTest, LivenessFailureRestartsTheInstance) {
  std::unique_ptr<Agent> agent = NewAgent();
  ASSERT_TRUE(agent->Apply(MakeAssignment(1, {MakeInstance({.liveness = true})})).ok());
  Converge(*agent);
  ASSERT_EQ(driver_.Calls(VmOp::kCreate), 1);

  probe_ok_ = false;
  Advance(absl::Seconds(1));
  EXPECT_TRUE(agent->ProbeOnce());
  Converge(*agent, 2);
  EXPECT_EQ(driver_.Calls(VmOp::kDestroy), 1);

  probe_ok_ = true;
  Advance(absl::Seconds(10));
  Converge(*agent);
  EXPECT_EQ(driver_.Calls(VmOp::kCreate), 2);
  EXPECT_EQ(ReportOf(*agent, "web-0").restarts(), 1);
}

TEST_F(AgentTest, ReadinessProbeMakesTheInstanceReady) {
  std::unique_ptr<Agent> agent = NewAgent();
  ASSERT_TRUE(agent->Apply(MakeAssignment(1, {MakeInstance({.readiness = true})})).ok());
  probe_ok_ = false;
  Converge(*agent);
  EXPECT_FALSE(agent->ProbeOnce());
  Converge(*agent, 1);
  EXPECT_EQ(ReportOf(*agent, "web-0").phase(), v1alpha1::STARTING);
  EXPECT_FALSE(ReportOf(*agent, "web-0").ready());

  probe_ok_ = true;
  Advance(absl::Seconds(1));
  EXPECT_TRUE(agent->ProbeOnce());
  Converge(*agent, 1);
  v1::InstanceReport report = ReportOf(*agent, "web-0");
  EXPECT_EQ(report.phase(), v1alpha1::RUNNING);
  EXPECT_TRUE(report.ready());
  EXPECT_FALSE(report.ready_since().empty());
}

TEST_F(AgentTest, AnInstanceTheControllerRemovesIsStoppedAndDeletedAtOnce) {
  std::unique_ptr<Agent> agent = NewAgent();
  ASSERT_TRUE(agent->Apply(MakeAssignment(1, {MakeInstance({})})).ok());
  Converge(*agent);
  ASSERT_TRUE(agent->Apply(MakeAssignment(2, {})).ok());
  Converge(*agent);
  EXPECT_EQ(driver_.Calls(VmOp::kStop), 1);
  EXPECT_EQ(driver_.Calls(VmOp::kDelete), 1);
  EXPECT_FALSE(driver_.SpecOf("web-0").has_value());
  EXPECT_EQ(agent->CurrentReport().instances_size(), 0);
}

// A VM the agent finds without an assignment that names it (here: the
// assignment file is gone) may be one the controller still wants elsewhere
// soon; it goes only after the grace period.
TEST_F(AgentTest, AnUnknownVmIsStoppedAndDeletedAfterGrace) {
  {
    std::unique_ptr<Agent> agent = NewAgent();
    ASSERT_TRUE(agent->Apply(MakeAssignment(1, {MakeInstance({})})).ok());
    Converge(*agent);
  }
  std::filesystem::remove(state_dir_ + "/assignment.pb");
  std::unique_ptr<Agent> agent = NewAgent();
  ASSERT_TRUE(agent->Apply(MakeAssignment(2, {})).ok());
  Converge(*agent);
  EXPECT_EQ(driver_.Calls(VmOp::kStop), 0);
  Advance(absl::Seconds(31));
  Converge(*agent);
  EXPECT_EQ(driver_.Calls(VmOp::kStop), 1);
  EXPECT_EQ(driver_.Calls(VmOp::kDelete), 1);
  EXPECT_FALSE(driver_.SpecOf("web-0").has_value());
  EXPECT_EQ(agent->CurrentReport().instances_size(), 0);
}

TEST_F(AgentTest, SpecChangeReplacesTheVm) {
  std::unique_ptr<Agent> agent = NewAgent();
  ASSERT_TRUE(agent->Apply(MakeAssignment(1, {MakeInstance({})})).ok());
  Converge(*agent);
  ASSERT_TRUE(agent->Apply(MakeAssignment(2, {MakeInstance({.spec_hash = "h2"})})).ok());
  Converge(*agent, 8);
  EXPECT_EQ(builds_, 2);
  EXPECT_EQ(driver_.Calls(VmOp::kCreate), 2);
  EXPECT_EQ(driver_.SpecOf("web-0")->identity.spec_hash, "h2");
  EXPECT_EQ(ReportOf(*agent, "web-0").phase(), v1alpha1::RUNNING);
}

TEST_F(AgentTest, TerminalBuildFailureIsReportedAndNotRetriedUntilTheSpecChanges) {
  build_error_ = absl::InvalidArgumentError("spec.template.image.program: no such file");
  std::unique_ptr<Agent> agent = NewAgent();
  ASSERT_TRUE(agent->Apply(MakeAssignment(1, {MakeInstance({})})).ok());
  Converge(*agent);
  EXPECT_EQ(builds_, 1);
  v1::InstanceReport report = ReportOf(*agent, "web-0");
  EXPECT_EQ(report.phase(), v1alpha1::PENDING);
  EXPECT_EQ(report.reason(), "ImageBuildFailed");
  EXPECT_THAT(report.message(), ::testing::HasSubstr("no such file"));
  Advance(absl::Hours(1));
  Converge(*agent);
  EXPECT_EQ(builds_, 1) << "a terminal error is not retried by time";
}

TEST_F(AgentTest, RetryableBuildFailureIsRetriedLater) {
  build_error_ = absl::UnavailableError("controller away");
  std::unique_ptr<Agent> agent = NewAgent();
  ASSERT_TRUE(agent->Apply(MakeAssignment(1, {MakeInstance({})})).ok());
  Converge(*agent);
  EXPECT_EQ(builds_, 1);
  EXPECT_EQ(ReportOf(*agent, "web-0").phase(), v1alpha1::PENDING);
  build_error_ = absl::OkStatus();
  Advance(absl::Seconds(31));
  Converge(*agent);
  EXPECT_EQ(builds_, 2);
  EXPECT_EQ(ReportOf(*agent, "web-0").phase(), v1alpha1::RUNNING);
}

TEST_F(AgentTest, FailedCreateIsRetriedAfterADelayNotInATightLoop) {
  driver_.FailNext(VmOp::kCreate, absl::InternalError("qemu-img failed"));
  std::unique_ptr<Agent> agent = NewAgent();
  ASSERT_TRUE(agent->Apply(MakeAssignment(1, {MakeInstance({})})).ok());
  Converge(*agent);
  EXPECT_EQ(driver_.Calls(VmOp::kCreate), 1);
  Advance(absl::Seconds(11));
  Converge(*agent);
  EXPECT_EQ(driver_.Calls(VmOp::kCreate), 2);
  EXPECT_EQ(ReportOf(*agent, "web-0").phase(), v1alpha1::RUNNING);
}

TEST_F(AgentTest, PersistedAssignmentIsReloaded) {
  {
    std::unique_ptr<Agent> agent = NewAgent();
    ASSERT_TRUE(agent->Apply(MakeAssignment(7, {MakeInstance({})})).ok());
  }
  EXPECT_TRUE(std::filesystem::exists(state_dir_ + "/assignment.pb"));
  std::unique_ptr<Agent> agent = NewAgent();
  EXPECT_EQ(agent->generation(), 7);
  Converge(*agent);
  EXPECT_EQ(driver_.Calls(VmOp::kCreate), 1) << "the reloaded assignment is acted on";
}

TEST_F(AgentTest, HelloCarriesHostCapacityAndInstances) {
  options_.labels = {{"zone", "a"}};
  options_.join_token = "token";
  options_.capacity_memory_bytes = 1 << 30;
  options_.capacity_cpus = 2;
  options_.nanos_versions = [] { return std::vector<std::string>{"0.1.54"}; };
  std::unique_ptr<Agent> agent = NewAgent();
  ASSERT_TRUE(agent->Apply(MakeAssignment(4, {MakeInstance({})})).ok());
  Converge(*agent);
  v1::Hello hello = agent->MakeHello();
  EXPECT_EQ(hello.host(), "host-a");
  EXPECT_EQ(hello.labels().at("zone"), "a");
  EXPECT_EQ(hello.join_token(), "token");
  EXPECT_EQ(hello.capacity().memory_bytes(), 1 << 30);
  EXPECT_EQ(hello.capacity().cpus(), 2);
  EXPECT_EQ(hello.accelerator(), v1::TCG);
  EXPECT_EQ(hello.architecture(), "x86_64");
  EXPECT_THAT(hello.nanos_versions(), ::testing::ElementsAre("0.1.54"));
  EXPECT_EQ(hello.instances_size(), 1);
  EXPECT_EQ(hello.assignment_generation(), 4);
}

// The threaded agent: the assignment comes through the link, and a Running
// report goes back through it without the test driving rounds.
TEST_F(AgentTest, StartedAgentReportsThroughTheLink) {
  options_.resync_interval = absl::Milliseconds(50);
  options_.report_interval = absl::Milliseconds(50);
  std::unique_ptr<Agent> agent = NewAgent();
  ASSERT_TRUE(agent->Start().ok());
  ASSERT_TRUE(link_.started());
  EXPECT_EQ(link_.Hello().host(), "host-a");
  link_.SendAssignment(MakeAssignment(1, {MakeInstance({})}));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  bool running = false;
  while (!running && absl::Now() < deadline) {
    for (const v1::Report& report : link_.reports()) {
      running = running ||
                (report.instances_size() == 1 && report.instances(0).phase() == v1alpha1::RUNNING);
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(running);
  agent->Stop();
}

}  // namespace
}  // namespace nanoplane::agent::app::testing
