// Convergence: DecideLocal's actions applied to a simulated host whose guests
// boot, run, exit and crash as scripted. The plan must become empty within a
// bounded number of rounds and stay empty; a restarted agent (no runtime
// state) must adopt what runs without a single action.

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "agent/core/local_reconciler.h"
#include "agent/core/simulated_host.h"
#include "agent/core/test_util.h"
#include "gtest/gtest.h"

namespace nanoplane::agent::core {
namespace {

using absl::Seconds;
using testing::Boot;
using testing::Desired;
using testing::Identity;
using testing::kT0;
using testing::SimulatedHost;

// The app's loop, minus I/O: observe, decide, execute, keep the runtime.
class Agent {
 public:
  explicit Agent(SimulatedHost& host) : host_(host) {}

  LocalPlan Round(const Assignment& assignment, absl::Time now) {
    host_.AdvanceTo(now);
    LocalPlan plan = DecideLocal(host_.WithImages(assignment), host_.List(), host_.activity(),
                                 runtime_, now, LocalOptions{});
    for (const Action& action : plan.actions) {
      host_.Apply(action);
    }
    runtime_ = plan.runtime;
    return plan;
  }

 private:
  SimulatedHost& host_;
  RuntimeStates runtime_;
};

bool Quiet(const LocalPlan& plan, const SimulatedHost& host) {
  return plan.actions.empty() && !plan.requeue_after.has_value() &&
         host.activity().builds_in_flight.empty();
}

// Runs rounds until the plan has been quiet for a minute (a guest may still
// be about to crash when one round is quiet); returns the round where the
// quiet began, or max_rounds + 1. Time moves 1 s after acting, else to the
// requeue time or by 10 s, whichever is sooner, so scripted exits are seen
// promptly.
int RunUntilQuiet(Agent& agent, const Assignment& assignment, absl::Time& now, int max_rounds,
                  LocalPlan& last, const SimulatedHost& host) {
  std::optional<absl::Time> quiet_since;
  int quiet_round = 0;
  for (int round = 1; round <= max_rounds; ++round) {
    last = agent.Round(assignment, now);
    if (!Quiet(last, host)) {
      quiet_since.reset();
    } else if (!quiet_since.has_value()) {
      quiet_since = now;
      quiet_round = round;
    } else if (now - *quiet_since >= absl::Minutes(1)) {
      return quiet_round;
    }
    absl::Duration step = last.actions.empty() ? Seconds(10) : Seconds(1);
    if (last.requeue_after.has_value()) {
      step = std::min(step, std::max(*last.requeue_after, Seconds(1)));
    }
    now += step;
  }
  return max_rounds + 1;
}

// Asserts that `rounds` further rounds, a minute apart, do nothing.
void ExpectStaysEmpty(Agent& agent, const Assignment& assignment, absl::Time& now, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    now += absl::Minutes(1);
    const LocalPlan plan = agent.Round(assignment, now);
    ASSERT_TRUE(plan.actions.empty()) << "round " << i << ": " << ::testing::PrintToString(plan);
  }
}

InstancePhase PhaseOf(const LocalPlan& plan, const std::string& name) {
  const InstanceReport* report = testing::FindReport(plan, name);
  return report == nullptr ? InstancePhase::kPending : report->phase;
}

SimulatedHost MixedHost() {
  SimulatedHost host({
      {"h-job", {Boot{.runs_for = Seconds(20), .exit_code = 0}}},
      {"h-flaky",
       {Boot{.runs_for = Seconds(2), .stop_reason = StopReason::kCrashed},
        Boot{.runs_for = Seconds(2), .stop_reason = StopReason::kCrashed}, Boot{}}},
      {"h-once", {Boot{.runs_for = Seconds(5), .exit_code = 3}}},
  });
  host.AddVm(Identity("api-0", "h-api1"));  // an older spec under a name still wanted
  host.AddVm(Identity("old-0", "h-old"));   // no longer assigned
  host.AddForeignVm("mail");
  return host;
}

Assignment MixedAssignment(int64_t generation) {
  return Assignment{.generation = generation,
                    .instances = {Desired("web-0", RestartPolicy::kAlways, "h-web", false),
                                  Desired("web-1", RestartPolicy::kAlways, "h-web", false),
                                  Desired("job-0", RestartPolicy::kOnFailure, "h-job", false),
                                  Desired("flaky-0", RestartPolicy::kAlways, "h-flaky", false),
                                  Desired("once-0", RestartPolicy::kNever, "h-once", false),
                                  Desired("api-0", RestartPolicy::kAlways, "h-api2", false)}};
}

TEST(ConvergenceTest, MixedHostConvergesAndStaysConverged) {
  SimulatedHost host = MixedHost();
  Agent agent(host);
  const Assignment assignment = MixedAssignment(1);
  absl::Time now = kT0;
  LocalPlan plan;
  const int rounds = RunUntilQuiet(agent, assignment, now, 100, plan, host);
  ASSERT_LE(rounds, 100) << ::testing::PrintToString(plan);

  EXPECT_EQ(PhaseOf(plan, "web-0"), InstancePhase::kRunning);
  EXPECT_EQ(PhaseOf(plan, "web-1"), InstancePhase::kRunning);
  EXPECT_EQ(PhaseOf(plan, "job-0"), InstancePhase::kSucceeded);
  EXPECT_EQ(PhaseOf(plan, "flaky-0"), InstancePhase::kRunning);
  EXPECT_EQ(testing::FindReport(plan, "flaky-0")->restarts, 2);
  EXPECT_EQ(PhaseOf(plan, "once-0"), InstancePhase::kFailed);
  EXPECT_EQ(PhaseOf(plan, "api-0"), InstancePhase::kRunning);
  EXPECT_EQ(testing::FindReport(plan, "api-0")->identity.spec_hash, "h-api2");
  EXPECT_FALSE(host.has_vm("old-0"));
  EXPECT_TRUE(host.has_vm("mail"));
  EXPECT_EQ(testing::FindReport(plan, "old-0"), nullptr);
  EXPECT_EQ(testing::FindReport(plan, "mail"), nullptr);

  ExpectStaysEmpty(agent, assignment, now, 60);
  EXPECT_EQ(host.boots("web-0"), 1);
  EXPECT_EQ(host.boots("flaky-0"), 3);
}

TEST(ConvergenceTest, RestartedAgentAdoptsEverythingWithoutAnAction) {
  SimulatedHost host = MixedHost();
  absl::Time now = kT0;
  {
    Agent first(host);
    LocalPlan plan;
    ASSERT_LE(RunUntilQuiet(first, MixedAssignment(1), now, 100, plan, host), 100);
  }
  // kill -9: the runtime state is gone, the VMs are not.
  Agent second(host);
  now += Seconds(5);
  LocalPlan plan = second.Round(Assignment{.generation = 0}, now);
  EXPECT_TRUE(plan.actions.empty()) << ::testing::PrintToString(plan);
  now += Seconds(60);  // well past the grace period: still nothing without an assignment
  plan = second.Round(Assignment{.generation = 0}, now);
  EXPECT_TRUE(plan.actions.empty()) << ::testing::PrintToString(plan);

  const Assignment assignment = MixedAssignment(2);
  plan = second.Round(assignment, now + Seconds(1));
  EXPECT_TRUE(plan.actions.empty()) << ::testing::PrintToString(plan);
  ExpectStaysEmpty(second, assignment, now, 30);
  EXPECT_EQ(host.boots("web-0"), 1);
  EXPECT_EQ(host.boots("flaky-0"), 3);
}

TEST(ConvergenceTest, AgentRestartedDuringBackOffStillConverges) {
  SimulatedHost host(
      {{"h-flaky",
        {Boot{.runs_for = Seconds(1), .stop_reason = StopReason::kCrashed},
         Boot{.runs_for = Seconds(1), .stop_reason = StopReason::kCrashed},
         Boot{.runs_for = Seconds(1), .stop_reason = StopReason::kCrashed}, Boot{}}}});
  const Assignment assignment{
      .generation = 1,
      .instances = {Desired("flaky-0", RestartPolicy::kOnFailure, "h-flaky", false)}};
  absl::Time now = kT0;
  Agent first(host);
  for (int i = 0; i < 8; ++i) {
    first.Round(assignment, now);
    now += Seconds(2);
  }
  Agent second(host);
  LocalPlan plan;
  ASSERT_LE(RunUntilQuiet(second, assignment, now, 100, plan, host), 100);
  EXPECT_EQ(PhaseOf(plan, "flaky-0"), InstancePhase::kRunning);
  EXPECT_EQ(host.boots("flaky-0"), 4);
  ExpectStaysEmpty(second, assignment, now, 30);
}

TEST(ConvergenceTest, UnassignedInstancesAreRemovedAfterTheGracePeriod) {
  SimulatedHost host({});
  Agent agent(host);
  absl::Time now = kT0;
  LocalPlan plan;
  const Assignment both{.generation = 1,
                        .instances = {Desired("a-0", RestartPolicy::kAlways, "h", false),
                                      Desired("b-0", RestartPolicy::kAlways, "h", false)}};
  ASSERT_LE(RunUntilQuiet(agent, both, now, 50, plan, host), 50);
  const absl::Time dropped = now;
  const Assignment one{.generation = 2, .instances = {both.instances[0]}};
  ASSERT_LE(RunUntilQuiet(agent, one, now, 50, plan, host), 50);
  EXPECT_FALSE(host.has_vm("b-0"));
  EXPECT_TRUE(host.has_vm("a-0"));
  EXPECT_GE(now - dropped, Seconds(30));
  ExpectStaysEmpty(agent, one, now, 10);
}

}  // namespace
}  // namespace nanoplane::agent::core
