// DecideLocal over time: adoption, grace periods, back-off, probes, builds and
// the instances the app is busy with. The decision table in
// local_reconciler_table_test.cc covers the settled combinations.

#include "agent/core/local_reconciler.h"

#include <vector>

#include "agent/core/test_util.h"
#include "gtest/gtest.h"

namespace nanoplane::agent::core {
namespace {

using absl::Minutes;
using absl::Seconds;
using testing::Decide;
using testing::Desired;
using testing::FindReport;
using testing::Identity;
using testing::kT0;
using testing::RunningVm;
using testing::StoppedVm;

const Assignment kNothing{.generation = 1};

TEST(DecideLocalTest, AdoptedHealthyVmNeedsNoAction) {
  const Assignment assignment{.generation = 1, .instances = {Desired("web-0")}};
  const LocalPlan plan =
      Decide(assignment, {RunningVm(Identity("web-0"), kT0)}, {}, kT0 + Minutes(30));
  EXPECT_TRUE(plan.actions.empty());
  EXPECT_EQ(plan.requeue_after, std::nullopt);
  ASSERT_EQ(plan.reports.size(), 1u);
  EXPECT_EQ(plan.reports[0], (InstanceReport{.identity = Identity("web-0"),
                                             .phase = InstancePhase::kRunning,
                                             .ready = true,
                                             .started_at = kT0,
                                             .ready_since = kT0}));
}

TEST(DecideLocalTest, BeforeTheFirstAssignmentNothingIsStoppedOrDeleted) {
  const std::vector<ObservedVm> vms = {RunningVm(Identity("a-0")),
                                       StoppedVm(Identity("b-0"), StopReason::kCrashed)};
  const LocalPlan plan = Decide(Assignment{.generation = 0}, vms, {}, kT0 + absl::Hours(24));
  EXPECT_TRUE(plan.actions.empty());
  ASSERT_EQ(plan.reports.size(), 2u);
  EXPECT_EQ(plan.reports[0].phase, InstancePhase::kRunning);
  EXPECT_EQ(plan.reports[0].message, "not assigned; kept until the first assignment");
  EXPECT_EQ(plan.reports[1].phase, InstancePhase::kFailed);
  EXPECT_EQ(plan.runtime.at("a-0").undesired_since, std::nullopt);
}

TEST(DecideLocalTest, UnassignedVmIsStoppedOnlyAfterTheGracePeriod) {
  const std::vector<ObservedVm> vms = {RunningVm(Identity("old-0"))};
  LocalPlan plan = Decide(kNothing, vms, {}, kT0);
  EXPECT_TRUE(plan.actions.empty());
  EXPECT_EQ(plan.requeue_after, Seconds(30));
  EXPECT_EQ(plan.reports[0].message, "not assigned; removed in 30s");

  plan = Decide(kNothing, vms, plan.runtime, kT0 + Seconds(29));
  EXPECT_TRUE(plan.actions.empty());
  EXPECT_EQ(plan.requeue_after, Seconds(1));

  plan = Decide(kNothing, vms, plan.runtime, kT0 + Seconds(30));
  EXPECT_EQ(plan.actions,
            (std::vector<Action>{StopInstance{.name = "old-0", .reason = "not assigned"}}));
  EXPECT_EQ(plan.reports[0].phase, InstancePhase::kTerminating);
}

TEST(DecideLocalTest, AnInstanceTheControllerReleasedGoesAtOnce) {
  const std::vector<ObservedVm> vms = {RunningVm(Identity("old-0"))};
  RuntimeStates runtime;
  runtime["old-0"].released = true;
  LocalPlan plan = Decide(kNothing, vms, runtime, kT0);
  EXPECT_EQ(plan.actions,
            (std::vector<Action>{StopInstance{.name = "old-0", .reason = "not assigned"}}));
  EXPECT_EQ(plan.reports[0].phase, InstancePhase::kTerminating);

  plan = Decide(kNothing, {StoppedVm(Identity("old-0"), StopReason::kShutdown)}, plan.runtime,
                kT0 + Seconds(1));
  EXPECT_EQ(plan.actions,
            (std::vector<Action>{DeleteInstance{.name = "old-0", .reason = "not assigned"}}));
}

TEST(DecideLocalTest, ReassignedWithinTheGracePeriodIsKept) {
  const std::vector<ObservedVm> vms = {RunningVm(Identity("web-0"))};
  LocalPlan plan = Decide(kNothing, vms, {}, kT0);
  const Assignment back{.generation = 2, .instances = {Desired("web-0")}};
  plan = Decide(back, vms, plan.runtime, kT0 + Seconds(20));
  EXPECT_TRUE(plan.actions.empty());
  EXPECT_EQ(plan.runtime.at("web-0").undesired_since, std::nullopt);
  // Unassigned again later: the grace period starts over.
  plan = Decide(kNothing, vms, plan.runtime, kT0 + Minutes(5));
  EXPECT_TRUE(plan.actions.empty());
  EXPECT_EQ(plan.requeue_after, Seconds(30));
}

TEST(DecideLocalTest, VmsThatAreNotOursAreNeverTouchedOrReported) {
  const std::vector<ObservedVm> vms = {testing::ForeignVm("mail"),
                                       testing::ForeignVm("db", VmState::kShutOff)};
  const LocalPlan plan = Decide(kNothing, vms, {}, kT0 + absl::Hours(1));
  EXPECT_TRUE(plan.actions.empty());
  EXPECT_TRUE(plan.reports.empty());
  EXPECT_TRUE(plan.runtime.empty());
}

// A guest that crashes as soon as it boots: each restart waits twice as long
// as the one before, up to five minutes.
TEST(DecideLocalTest, CrashLoopBacksOffTenTwentyFortyUpToFiveMinutes) {
  const Assignment assignment{.generation = 1, .instances = {Desired("web-0")}};
  const ObservedVm crashed = StoppedVm(Identity("web-0"), StopReason::kCrashed);
  RuntimeStates runtime;
  absl::Time now = kT0;
  std::vector<absl::Duration> waits;
  for (int restart = 1; restart <= 8; ++restart) {
    const absl::Time exit_seen = now;
    LocalPlan plan = Decide(assignment, {crashed}, runtime, now);
    ASSERT_TRUE(plan.actions.empty());
    ASSERT_TRUE(plan.requeue_after.has_value());
    EXPECT_EQ(FindReport(plan, "web-0")->phase, InstancePhase::kBackOff);
    now += *plan.requeue_after - Seconds(1);
    plan = Decide(assignment, {crashed}, plan.runtime, now);
    ASSERT_TRUE(plan.actions.empty()) << "restarted early";
    now += Seconds(1);
    plan = Decide(assignment, {crashed}, plan.runtime, now);
    ASSERT_EQ(plan.actions,
              (std::vector<Action>{RestartInstance{.name = "web-0", .reason = "crashed"}}));
    EXPECT_EQ(FindReport(plan, "web-0")->restarts, restart);
    waits.push_back(now - exit_seen);
    runtime = plan.runtime;
  }
  EXPECT_EQ(waits,
            (std::vector<absl::Duration>{Seconds(10), Seconds(20), Seconds(40), Seconds(80),
                                         Seconds(160), Seconds(300), Seconds(300), Seconds(300)}));
}

TEST(DecideLocalTest, TenMinutesOfGoodRunningResetsTheBackOff) {
  const Assignment assignment{.generation = 1, .instances = {Desired("web-0")}};
  RuntimeStates runtime = {{"web-0", InstanceRuntime{.restarts = 5, .backoff = Seconds(300)}}};
  LocalPlan plan = Decide(assignment, {RunningVm(Identity("web-0"), kT0)}, runtime, kT0);
  plan = Decide(assignment, {RunningVm(Identity("web-0"), kT0)}, plan.runtime, kT0 + Minutes(10));
  EXPECT_EQ(plan.runtime.at("web-0").backoff, absl::ZeroDuration());
  plan = Decide(assignment, {StoppedVm(Identity("web-0"), StopReason::kExited, 3)}, plan.runtime,
                kT0 + Minutes(11));
  EXPECT_EQ(plan.requeue_after, Seconds(10));
  EXPECT_EQ(plan.reports[0].restarts, 5);

  // The same crash nine minutes in keeps the long delay.
  plan = Decide(assignment, {RunningVm(Identity("web-0"), kT0)}, runtime, kT0);
  plan = Decide(assignment, {StoppedVm(Identity("web-0"), StopReason::kExited, 3)}, plan.runtime,
                kT0 + Minutes(9));
  EXPECT_EQ(plan.requeue_after, Seconds(300));
}

TEST(DecideLocalTest, BackOffIsReportedWithItsDelayAndTheExit) {
  const Assignment assignment{.generation = 1, .instances = {Desired("web-0")}};
  const RuntimeStates runtime = {{"web-0", InstanceRuntime{.restarts = 2, .backoff = Seconds(20)}}};
  const LocalPlan plan =
      Decide(assignment, {StoppedVm(Identity("web-0"), StopReason::kExited, 3)}, runtime, kT0);
  EXPECT_EQ(plan.reports[0], (InstanceReport{.identity = Identity("web-0"),
                                             .phase = InstancePhase::kBackOff,
                                             .restarts = 2,
                                             .exit_code = 3,
                                             .message = "back-off 40s restarting failed instance "
                                                        "(exit code 3)"}));
  EXPECT_EQ(plan.requeue_after, Seconds(40));
}

TEST(DecideLocalTest, NeverPolicyReportsTheExitAndLeavesTheVm) {
  const Assignment assignment{.generation = 1,
                              .instances = {Desired("job-0", RestartPolicy::kNever)}};
  const LocalPlan plan =
      Decide(assignment, {StoppedVm(Identity("job-0"), StopReason::kExited, 3)}, {}, kT0);
  EXPECT_TRUE(plan.actions.empty());
  EXPECT_EQ(plan.requeue_after, std::nullopt);
  EXPECT_EQ(plan.reports[0].phase, InstancePhase::kFailed);
  EXPECT_EQ(plan.reports[0].message, "exit code 3");
  EXPECT_EQ(plan.reports[0].exit_code, 3);
}

TEST(DecideLocalTest, FailedLivenessStopsTheVmAndTheRestartPolicyTakesOver) {
  for (RestartPolicy policy : {RestartPolicy::kOnFailure, RestartPolicy::kNever}) {
    DesiredInstance web = Desired("web-0", policy);
    web.liveness = ProbeSpec{};
    const Assignment assignment{.generation = 1, .instances = {web}};
    const ObservedVm running = RunningVm(Identity("web-0"), kT0);
    LocalPlan plan = Decide(assignment, {running}, {}, kT0 + Seconds(5));
    EXPECT_TRUE(plan.actions.empty());
    plan.runtime["web-0"].liveness.passing = false;  // as ObserveProbe leaves it

    plan = Decide(assignment, {running}, plan.runtime, kT0 + Seconds(40));
    EXPECT_EQ(plan.actions,
              (std::vector<Action>{StopInstance{
                  .name = "web-0", .graceful = false, .reason = "liveness probe failed"}}));
    // A forced stop looks like any destroy; the runtime remembers why.
    plan = Decide(assignment, {StoppedVm(Identity("web-0"), StopReason::kDestroyed)}, plan.runtime,
                  kT0 + Seconds(41));
    EXPECT_TRUE(plan.actions.empty());
    EXPECT_EQ(plan.reports[0].phase,
              policy == RestartPolicy::kNever ? InstancePhase::kFailed : InstancePhase::kBackOff);
    EXPECT_NE(plan.reports[0].message.find("liveness probe failed"), std::string::npos);
  }
}

TEST(DecideLocalTest, ANewRunStartsWithFreshProbes) {
  DesiredInstance web = Desired("web-0");
  web.liveness = ProbeSpec{};
  const Assignment assignment{.generation = 1, .instances = {web}};
  InstanceRuntime old_run{.run_started_at = kT0};
  old_run.liveness.passing = false;
  const LocalPlan plan = Decide(assignment, {RunningVm(Identity("web-0"), kT0 + Minutes(1))},
                                {{"web-0", old_run}}, kT0 + Minutes(1));
  EXPECT_TRUE(plan.actions.empty());
  EXPECT_TRUE(plan.runtime.at("web-0").liveness.passing);
  EXPECT_EQ(plan.runtime.at("web-0").run_started_at, kT0 + Minutes(1));
}

TEST(DecideLocalTest, ReadinessProbeGatesReadyAndStarting) {
  DesiredInstance web = Desired("web-0");
  web.readiness = ProbeSpec{};
  const Assignment assignment{.generation = 1, .instances = {web}};
  const ObservedVm running = RunningVm(Identity("web-0"), kT0);
  LocalPlan plan = Decide(assignment, {running}, {}, kT0 + Seconds(1));
  EXPECT_EQ(plan.reports[0].phase, InstancePhase::kStarting);
  EXPECT_FALSE(plan.reports[0].ready);

  InstanceRuntime& rt = plan.runtime["web-0"];
  rt.readiness =
      ObserveProbe(*web.readiness, rt.readiness, {.started = kT0 + Seconds(2), .ok = true}, kT0);
  plan = Decide(assignment, {running}, plan.runtime, kT0 + Seconds(3));
  EXPECT_EQ(plan.reports[0].phase, InstancePhase::kRunning);
  EXPECT_TRUE(plan.reports[0].ready);
  EXPECT_EQ(plan.reports[0].ready_since, kT0 + Seconds(2));
}

TEST(DecideLocalTest, BusyInstanceGetsNoActionAndKeepsItsState) {
  const Assignment assignment{.generation = 1, .instances = {Desired("web-0")}};
  const RuntimeStates runtime = {{"web-0", InstanceRuntime{.restarts = 1}}};
  const LocalPlan plan = Decide(assignment, {}, runtime, kT0, {.busy_instances = {"web-0"}});
  EXPECT_TRUE(plan.actions.empty());
  EXPECT_EQ(plan.runtime, runtime);
  EXPECT_EQ(plan.reports[0].phase, InstancePhase::kStarting);
}

TEST(DecideLocalTest, InstancesOfOneSpecShareOneBuild) {
  const Assignment assignment{.generation = 1,
                              .instances = {Desired("web-0", RestartPolicy::kAlways, "h1", false),
                                            Desired("web-1", RestartPolicy::kAlways, "h1", false)}};
  const LocalPlan plan = Decide(assignment, {}, {}, kT0);
  EXPECT_EQ(plan.actions,
            (std::vector<Action>{BuildImage{.spec_hash = "h1", .instance = "web-0"}}));
  EXPECT_EQ(plan.reports[1].phase, InstancePhase::kBuilding);
}

TEST(DecideLocalTest, FailedBuildWaitsForItsRetryOrFailsForGood) {
  const Assignment assignment{.generation = 1,
                              .instances = {Desired("web-0", RestartPolicy::kAlways, "h1", false)}};
  Activity activity{
      .failed_builds = {{"h1", {.message = "fetch: timeout", .retry_at = kT0 + Seconds(20)}}}};
  LocalPlan plan = Decide(assignment, {}, {}, kT0, activity);
  EXPECT_TRUE(plan.actions.empty());
  EXPECT_EQ(plan.requeue_after, Seconds(20));
  EXPECT_EQ(plan.reports[0].phase, InstancePhase::kPending);
  EXPECT_EQ(plan.reports[0].message, "build failed: fetch: timeout; retry in 20s");

  plan = Decide(assignment, {}, {}, kT0 + Seconds(20), activity);
  EXPECT_EQ(plan.actions,
            (std::vector<Action>{BuildImage{.spec_hash = "h1", .instance = "web-0"}}));

  activity.failed_builds["h1"] = {.message = "program /bin/web not found"};
  plan = Decide(assignment, {}, {}, kT0 + absl::Hours(1), activity);
  EXPECT_TRUE(plan.actions.empty());
  EXPECT_EQ(plan.requeue_after, std::nullopt) << "no retry until the assignment changes";
  EXPECT_EQ(plan.reports[0].phase, InstancePhase::kPending);
  EXPECT_EQ(plan.reports[0].reason, "ImageBuildFailed");
  EXPECT_EQ(plan.reports[0].message, "build failed: program /bin/web not found");
}

TEST(DecideLocalTest, DefinedButNeverStartedVmIsStarted) {
  const Assignment assignment{.generation = 1, .instances = {Desired("web-0")}};
  const LocalPlan plan =
      Decide(assignment, {StoppedVm(Identity("web-0"), StopReason::kNone)}, {}, kT0);
  EXPECT_EQ(
      plan.actions,
      (std::vector<Action>{StartInstance{.identity = Identity("web-0"), .image_key = "img-h1"}}));
}

TEST(DecideLocalTest, VmOfAnEarlierObjectWithTheSameNameIsReplaced) {
  const Assignment assignment{.generation = 1, .instances = {Desired("web-0")}};
  InstanceIdentity earlier = Identity("web-0");
  earlier.uid = "uid-0";
  const LocalPlan plan = Decide(assignment, {RunningVm(earlier)}, {}, kT0);
  EXPECT_EQ(plan.actions,
            (std::vector<Action>{StopInstance{.name = "web-0", .reason = "spec changed"}}));
}

TEST(DecideLocalTest, PausedVmIsLeftAlone) {
  const Assignment assignment{.generation = 1, .instances = {Desired("web-0")}};
  ObservedVm paused = RunningVm(Identity("web-0"));
  paused.state = VmState::kPaused;
  const LocalPlan plan = Decide(assignment, {paused}, {}, kT0);
  EXPECT_TRUE(plan.actions.empty());
  EXPECT_EQ(plan.reports[0].message, "paused");
}

TEST(DecideLocalTest, RuntimeOfInstancesThatAreGoneIsDropped) {
  const RuntimeStates runtime = {{"gone-0", InstanceRuntime{.restarts = 3}}};
  EXPECT_TRUE(Decide(kNothing, {}, runtime, kT0).runtime.empty());
}

}  // namespace
}  // namespace nanoplane::agent::core
