#include "controller/core/status.h"

#include <random>

#include "common/api.h"
#include "controller/core/conditions.h"
#include "controller/core/reconcile.h"
#include "controller/core/rollout.h"
#include "controller/core/test_util.h"
#include "gtest/gtest.h"

namespace nanoplane::controller::core {
namespace {

using testing::At;
using testing::InstanceIn;
using testing::MakeDesired;
using testing::MakeHost;
using testing::MakeRevision;
using testing::MakeTemplate;
using testing::RunningInstance;

const Template kA = MakeTemplate("a");
const Template kB = MakeTemplate("b");

ReconcileInput Rollout(absl::Time now) {
  // Revision 2 (B) rolling out over revision 1 (A): one new instance that
  // never becomes ready, three old ones available.
  return ReconcileInput{
      .desired = MakeDesired(3, kB),
      .instances = {RunningInstance("a1", "h1", kA), RunningInstance("a2", "h2", kA),
                    RunningInstance("a3", "h3", kA),
                    InstanceIn(InstancePhase::kStarting, "b1", "h1", kB)},
      .hosts = {MakeHost("h1"), MakeHost("h2"), MakeHost("h3")},
      .revisions = {MakeRevision(1, kA), MakeRevision(2, kB, At(0))},
      .now = now};
}

// Runs `input` through Reconcile and feeds the status and revision changes
// back, as the app would.
ReconcileResult Pass(ReconcileInput& input) {
  std::mt19937_64 rng(3);
  ReconcileResult result = Reconcile(input, rng);
  for (const Action& action : result.actions) {
    if (const auto* update = std::get_if<UpdateRevision>(&action)) {
      for (Revision& revision : input.revisions) {
        if (revision.hash == update->revision.hash) {
          revision = update->revision;
        }
      }
    }
  }
  input.desired->status = *result.status;
  return result;
}

const Condition& Get(const ReconcileResult& result, std::string_view type) {
  const Condition* c = FindCondition(result.status->conditions, type);
  EXPECT_NE(c, nullptr) << type;
  return *c;
}

TEST(StatusTest, CountsRevisionsSelectorAndInstances) {
  ReconcileInput input = Rollout(At(10));
  ReconcileResult result = Pass(input);
  const UnikernelStatus& s = *result.status;
  EXPECT_EQ(s.observed_generation, 1);
  EXPECT_EQ(s.replicas, 4);
  EXPECT_EQ(s.updated_replicas, 1);
  EXPECT_EQ(s.ready_replicas, 3);
  EXPECT_EQ(s.available_replicas, 3);
  EXPECT_EQ(s.unavailable_replicas, 0);
  EXPECT_EQ(s.current_revision, 1);
  EXPECT_EQ(s.update_revision, 2);
  EXPECT_EQ(s.selector, "nanoplane.dev/unikernel=web");
  ASSERT_EQ(s.instances.size(), 4u);
  EXPECT_EQ(s.instances[3],
            (InstanceStatus{
                .name = "b1", .host = "h1", .revision = 2, .phase = InstancePhase::kStarting}));
  EXPECT_EQ(Get(result, kAvailable).reason, kMinimumReplicasAvailable);
  EXPECT_EQ(Get(result, kProgressing).reason, kRollingOut);
  EXPECT_EQ(Get(result, kDegraded).reason, kAsExpected);
}

TEST(StatusTest, ProgressDeadlineExceededAfterNoProgressAndStays) {
  ReconcileInput input = Rollout(At(10));
  Pass(input);
  input.now = At(609);
  EXPECT_EQ(Get(Pass(input), kProgressing).status, ConditionStatus::kTrue);
  input.now = At(610);
  ReconcileResult result = Pass(input);
  const Condition& progressing = Get(result, kProgressing);
  EXPECT_EQ(progressing.status, ConditionStatus::kFalse);
  EXPECT_EQ(progressing.reason, kProgressDeadlineExceeded);
  EXPECT_EQ(progressing.last_transition_time, At(610));
  EXPECT_NE(std::find(result.actions.begin(), result.actions.end(),
                      Action(RecordEvent{EventType::kWarning, "ProgressDeadlineExceeded",
                                         progressing.message})),
            result.actions.end());
  input.now = At(900);
  EXPECT_EQ(Get(Pass(input), kProgressing).last_transition_time, At(610));
}

TEST(StatusTest, ProgressRestartsTheDeadlineClock) {
  ReconcileInput input = Rollout(At(10));
  Pass(input);
  input.now = At(500);
  input.instances[3] = RunningInstance("b1", "h1", kB, At(500));  // became ready: progress
  ReconcileResult result = Pass(input);
  EXPECT_EQ(input.revisions[1].progress_time, At(500));
  EXPECT_EQ(result.requeue_after, absl::Seconds(600));
  input.now = At(700);
  EXPECT_EQ(Get(Pass(input), kProgressing).status, ConditionStatus::kTrue);
}

TEST(StatusTest, TransitionTimeMovesOnlyWhenTheStatusFlips) {
  ReconcileInput input = Rollout(At(10));
  ReconcileResult first = Pass(input);
  EXPECT_EQ(Get(first, kAvailable).last_transition_time, At(10));
  input.now = At(20);
  input.instances[0].ready = false;  // 2/3 available: Available flips to False
  EXPECT_EQ(Get(Pass(input), kAvailable).last_transition_time, At(20));
  input.now = At(30);
  input.instances[1].ready = false;  // still False: time stays
  ReconcileResult third = Pass(input);
  EXPECT_EQ(Get(third, kAvailable).status, ConditionStatus::kFalse);
  EXPECT_EQ(Get(third, kAvailable).last_transition_time, At(20));
}

TEST(StatusTest, PausedIsProgressingUnknownWithoutDeadline) {
  ReconcileInput input = Rollout(At(10));
  input.desired->paused = true;
  ReconcileResult result = Pass(input);
  EXPECT_EQ(Get(result, kProgressing).status, ConditionStatus::kUnknown);
  EXPECT_EQ(Get(result, kProgressing).reason, kRolloutPaused);
  EXPECT_EQ(result.requeue_after, std::nullopt);
  input.now = At(5000);
  EXPECT_EQ(Get(Pass(input), kProgressing).reason, kRolloutPaused);
  input.desired->paused = false;  // resume: the clock starts again
  EXPECT_EQ(Get(Pass(input), kProgressing).reason, kRollingOut);
  EXPECT_EQ(input.revisions[1].progress_time, At(5000));
}

TEST(StatusTest, RecreateNeedsEveryReplicaForAvailable) {
  ReconcileInput input = Rollout(At(10));
  input.desired->strategy = StrategyType::kRecreate;
  input.instances.resize(2);
  EXPECT_EQ(Get(Pass(input), kAvailable).status, ConditionStatus::kFalse);
}

TEST(StatusTest, CrashLoopingAndLostHostsDegrade) {
  ReconcileInput input = Rollout(At(10));
  input.instances[3].phase = InstancePhase::kBackOff;
  EXPECT_EQ(Get(Pass(input), kDegraded).reason, kCrashLooping);
  input.instances[3].phase = InstancePhase::kRunning;
  input.hosts[1].ready = false;
  input.hosts[1].not_ready_since = At(10);
  ReconcileResult result = Pass(input);
  EXPECT_EQ(Get(result, kDegraded).reason, kHostNotReady);
  EXPECT_EQ(result.status->instances[1].phase, InstancePhase::kUnknown);
}

TEST(StatusTest, AnInstanceThatCannotBeBuiltDegradesAndIsNotReplaced) {
  ReconcileInput input = Rollout(At(10));
  input.instances[3].phase = InstancePhase::kPending;
  input.instances[3].reason = std::string(kImageBuildFailed);
  input.instances[3].message = "build failed: libfoo.so.1: not found";
  ReconcileResult result = Pass(input);
  const Condition& degraded = Get(result, kDegraded);
  EXPECT_EQ(degraded.status, ConditionStatus::kTrue);
  EXPECT_EQ(degraded.reason, kImageBuildFailed);
  EXPECT_EQ(degraded.message, "1 cannot start: b1: build failed: libfoo.so.1: not found");
  for (const Action& action : result.actions) {
    EXPECT_FALSE(std::holds_alternative<DeleteInstance>(action)) << ToString(action);
    EXPECT_FALSE(std::holds_alternative<StartInstance>(action)) << ToString(action);
  }
  bool told = false;
  for (const Action& action : result.actions) {
    if (const auto* event = std::get_if<RecordEvent>(&action)) {
      told = told || event->reason == kImageBuildFailed;
    }
  }
  EXPECT_TRUE(told) << "a Warning event, once";
  for (const Action& action : Pass(input).actions) {
    EXPECT_FALSE(std::holds_alternative<RecordEvent>(action)) << ToString(action);
  }
}

TEST(StatusTest, LimitsRoundSurgeUpAndUnavailableDown) {
  DesiredUnikernel d = MakeDesired(10, kA);
  EXPECT_EQ(ResolveLimits(d), (RolloutLimits{.max_surge = 3, .max_unavailable = 2}));
  d.max_surge = {0, false};
  d.max_unavailable = {0, true};
  EXPECT_EQ(ResolveLimits(d), (RolloutLimits{.max_surge = 0, .max_unavailable = 1}));
  d.strategy = StrategyType::kRecreate;
  EXPECT_EQ(ResolveLimits(d), (RolloutLimits{}));
}

}  // namespace
}  // namespace nanoplane::controller::core
