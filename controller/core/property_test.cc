// Property tests: random sequences of user changes and fleet failures against
// a simulated world that applies the controller's actions. Each controller
// pass is checked against the invariants; once the events stop, the plan must
// converge to empty and stay empty, with the fleet where the spec says.

#include <iostream>
#include <random>

#include "common/strings.h"
#include "controller/core/conditions.h"
#include "controller/core/reconcile.h"
#include "controller/core/rollout.h"
#include "controller/core/simulated_world.h"
#include "controller/core/status.h"
#include "controller/core/test_util.h"
#include "gtest/gtest.h"

namespace nanoplane::controller::core {
namespace {

using testing::Census;
using testing::SimulatedWorld;

constexpr int kEventRounds = 120;     // simulated seconds of chaos
constexpr int kConvergeRounds = 400;  // at most this many seconds to settle
constexpr int kStayRounds = 100;      // then this long with an empty plan

// The first failure of a sequence, with the events that led to it.
struct Sequence {
  uint64_t seed = 0;
  int events = 0;
  int starts = 0;
  int stops = 0;
  std::vector<std::string> log;
  std::string failure;

  void Fail(std::string what) {
    if (failure.empty()) {
      failure = std::move(what);
    }
  }
};

void CheckNames(const ReconcileInput& input, const ReconcileResult& result, Sequence& seq) {
  NameSet names = input.taken_names;
  for (const Action& action : result.actions) {
    if (const auto* start = std::get_if<StartInstance>(&action)) {
      if (!names.insert(start->name).second) {
        seq.Fail(StrCat("name reused: ", start->name));
      }
    }
  }
}

// Recreate: the update revision starts only once no other revision runs.
void CheckRecreate(const DesiredUnikernel& d, const SimulatedWorld& world,
                   const ReconcileResult& result, Sequence& seq) {
  if (d.strategy != StrategyType::kRecreate || d.paused) {
    return;
  }
  for (const Action& action : result.actions) {
    const auto* start = std::get_if<StartInstance>(&action);
    if (start != nullptr && world.OtherRevisionRunning(start->revision_hash)) {
      seq.Fail(StrCat("Recreate started ", start->name, " while an old revision runs"));
    }
  }
}

// The controller never takes the fleet beyond replicas + maxSurge, nor (when
// rolling) below replicas - maxUnavailable; injected failures may, and then
// the controller must not make it worse.
void CheckLimits(const DesiredUnikernel& d, Census before, Census after, Sequence& seq) {
  RolloutLimits limits = ResolveLimits(d);
  int max_total = d.replicas + limits.max_surge;
  if (after.total > std::max(before.total, max_total)) {
    seq.Fail(StrCat("total ", before.total, " -> ", after.total, " above ", max_total));
  }
  int min_available = d.replicas - limits.max_unavailable;
  if (d.strategy == StrategyType::kRollingUpdate &&
      after.available < std::min(before.available, min_available)) {
    seq.Fail(
        StrCat("available ", before.available, " -> ", after.available, " below ", min_available));
  }
}

// One controller pass: observe, decide, check, execute.
ReconcileResult Step(SimulatedWorld& world, std::mt19937_64& rng, Sequence& seq) {
  ReconcileInput input = world.Observe();
  ReconcileResult result = Reconcile(input, rng);
  CheckNames(input, result, seq);
  Census before = world.Count();
  std::optional<DesiredUnikernel> desired = world.desired();
  if (desired.has_value()) {
    CheckRecreate(*desired, world, result, seq);
  }
  world.Execute(result.actions);
  if (desired.has_value() && !desired->deleting) {
    CheckLimits(*desired, before, world.Count(), seq);
  }
  for (const Action& action : result.actions) {
    seq.starts += std::holds_alternative<StartInstance>(action);
    seq.stops += std::holds_alternative<StopInstance>(action);
    if (!std::holds_alternative<PatchStatus>(action)) {
      seq.log.push_back(StrCat(absl::FormatTime(world.now()), "   ", ToString(action)));
    }
  }
  return result;
}

void CheckFinalState(const SimulatedWorld& world, Sequence& seq) {
  if (world.desired().has_value() && world.desired()->deleting) {
    seq.Fail("deleted, but the finalizer was never removed");
    return;
  }
  if (!world.desired().has_value()) {
    if (!world.OurInstances().empty() || !world.revisions().empty()) {
      seq.Fail("deleted, but instances or revisions remain");
    }
    return;
  }
  const DesiredUnikernel& d = *world.desired();
  Census census = world.Count();
  if (census.total != d.replicas || census.available != d.replicas) {
    seq.Fail(StrCat("settled at ", census.total, " instances, ", census.available,
                    " available, want ", d.replicas));
  }
  const UnikernelStatus& s = d.status;
  const Condition* progressing = FindCondition(s.conditions, kProgressing);
  if (s.replicas != d.replicas || s.updated_replicas != d.replicas ||
      s.available_replicas != d.replicas || s.current_revision != s.update_revision ||
      progressing == nullptr || progressing->reason != kRolloutComplete) {
    seq.Fail("status does not show a complete rollout");
  }
  for (const Instance& instance : world.OurInstances()) {
    if (instance.revision_hash != d.tmpl.hash && !instance.stop_requested) {
      const Host* host = nullptr;
      for (const Host& h : world.Observe().hosts) {
        host = h.name == instance.host ? &h : host;
      }
      if (host != nullptr && host->ready) {
        seq.Fail(StrCat("old instance ", instance.name, " still runs"));
      }
    }
  }
}

// Returns the number of rounds the plan took to settle.
int RunSequence(uint64_t seed, StrategyType strategy, Sequence& seq) {
  DesiredUnikernel desired = testing::MakeDesired(3, testing::MakeTemplate("a"));
  desired.strategy = strategy;
  desired.min_ready_seconds = static_cast<int32_t>(seed % 3);
  desired.progress_deadline_seconds = 60;
  SimulatedWorld world(seed, desired);
  std::mt19937_64 controller_rng(seed);
  std::mt19937_64 chaos(seed + 1);
  for (int round = 0; round < kEventRounds && seq.failure.empty(); ++round) {
    if (chaos() % 4 == 0) {
      ++seq.events;
      seq.log.push_back(
          StrCat(absl::FormatTime(world.now()), " event ", world.InjectRandomEvent()));
    }
    Step(world, controller_rng, seq);
    world.Advance(absl::Seconds(1));
  }
  world.Settle();
  seq.log.push_back("settle");
  int round = 0;
  for (; round < kConvergeRounds && seq.failure.empty(); ++round) {
    ReconcileResult result = Step(world, controller_rng, seq);
    if (result.actions.empty() && world.Quiescent() && !result.requeue_after.has_value()) {
      break;
    }
    world.Advance(absl::Seconds(1));
  }
  if (round == kConvergeRounds) {
    seq.Fail("did not converge");
  }
  for (int i = 0; i < kStayRounds && seq.failure.empty(); ++i) {
    world.Advance(absl::Seconds(1));
    if (!Step(world, controller_rng, seq).actions.empty()) {
      seq.Fail("plan not empty after convergence");
    }
  }
  CheckFinalState(world, seq);
  return round;
}

void RunMany(StrategyType strategy, uint64_t first_seed, int count) {
  int slowest = 0;
  int events = 0;
  int starts = 0;
  int stops = 0;
  for (int i = 0; i < count; ++i) {
    Sequence seq{.seed = first_seed + i};
    slowest = std::max(slowest, RunSequence(seq.seed, strategy, seq));
    if (!seq.failure.empty()) {
      ADD_FAILURE() << "seed " << seq.seed << ": " << seq.failure << "\n" << StrJoin(seq.log, "\n");
      return;
    }
    events += seq.events;
    starts += seq.starts;
    stops += seq.stops;
  }
  std::cout << count << " sequences, " << events << " events, " << starts << " starts, " << stops
            << " stops; slowest convergence " << slowest << " rounds\n";
}

TEST(PropertyTest, RollingUpdateKeepsLimitsUniqueNamesAndConverges) {
  RunMany(StrategyType::kRollingUpdate, 1000, 300);
}

TEST(PropertyTest, RecreateStopsOldBeforeNewAndConverges) {
  RunMany(StrategyType::kRecreate, 5000, 100);
}

}  // namespace
}  // namespace nanoplane::controller::core
