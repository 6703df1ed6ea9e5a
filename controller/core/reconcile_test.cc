#include "controller/core/reconcile.h"

#include <random>

#include "controller/core/test_util.h"
#include "gtest/gtest.h"

namespace nanoplane::controller::core {
namespace {

using testing::At;
using testing::Delete;
using testing::InstanceIn;
using testing::kMi;
using testing::MakeDesired;
using testing::MakeHost;
using testing::MakeRevision;
using testing::MakeTemplate;
using testing::Normalized;
using testing::Patch;
using testing::RunningInstance;
using testing::Start;
using testing::Stop;

const Template kA = MakeTemplate("a");
const Template kB = MakeTemplate("b");
const absl::Time kNow = At(1000);

std::vector<Host> ThreeHosts() { return {MakeHost("h1"), MakeHost("h2"), MakeHost("h3")}; }

Host Down(Host host, absl::Duration for_how_long) {
  host.ready = false;
  host.not_ready_since = kNow - for_how_long;
  return host;
}

// a1..a3 of `tmpl` on h1..h3, ready (and available) since At(0).
std::vector<Instance> Steady(const Template& tmpl, std::string prefix = "a") {
  std::vector<Instance> out;
  for (int i = 1; i <= 3; ++i) {
    out.push_back(RunningInstance(prefix + std::to_string(i), "h" + std::to_string(i), tmpl));
  }
  return out;
}

std::vector<Instance> Plus(std::vector<Instance> instances, std::vector<Instance> more) {
  instances.insert(instances.end(), more.begin(), more.end());
  return instances;
}

Instance Stopping(Instance instance, InstancePhase phase) {
  instance.stop_requested = true;
  instance.phase = phase;
  instance.ready = false;
  return instance;
}

Instance ReadySince(Instance instance, absl::Time since) {
  instance.ready_since = since;
  instance.created_time = since - absl::Seconds(5);
  return instance;
}

DesiredUnikernel With(DesiredUnikernel d, auto change) {
  change(d);
  return d;
}

// History with A as revision 1 and, when `b`, B as revision 2 created now.
std::vector<Revision> History(bool b) {
  // Revision 1's progress clock reads now, so that a first look (which
  // restarts the clock) adds no UpdateRevision to every row.
  std::vector<Revision> history = {MakeRevision(1, kA)};
  history[0].progress_time = kNow;
  if (b) {
    history.push_back(MakeRevision(2, kB, kNow));
  }
  return history;
}

RecordEvent Warning(std::string reason, std::string message) {
  return RecordEvent{EventType::kWarning, std::move(reason), std::move(message)};
}

RecordEvent Complete(int64_t revision) {
  return RecordEvent{EventType::kNormal, "RolloutComplete",
                     "revision " + std::to_string(revision) + " rolled out"};
}

struct Row {
  std::string name;
  ReconcileInput input;
  std::vector<Action> want;
  std::optional<absl::Duration> want_requeue = std::nullopt;
};

ReconcileInput Input(std::optional<DesiredUnikernel> desired, std::vector<Instance> instances,
                     std::vector<Revision> history, std::vector<Host> hosts = ThreeHosts()) {
  return ReconcileInput{.desired = std::move(desired),
                        .instances = std::move(instances),
                        .hosts = std::move(hosts),
                        .revisions = std::move(history),
                        .now = kNow};
}

std::vector<Row> Rows() {
  DesiredUnikernel a3 = MakeDesired(3, kA);
  DesiredUnikernel b3 = MakeDesired(3, kB);
  auto paused = [](DesiredUnikernel& d) { d.paused = true; };
  auto recreate = [](DesiredUnikernel& d) { d.strategy = StrategyType::kRecreate; };
  auto deleting = [](DesiredUnikernel& d) {
    d.deleting = true;
    d.has_finalizer = true;
  };
  std::vector<Instance> four = Plus(Steady(kA), {RunningInstance("a4", "h1", kA)});
  four[3].phase = InstancePhase::kBackOff;
  four[3].ready = false;
  return {
      {"fresh: revision 1 and every replica, spread over the hosts",
       Input(a3, {}, {}),
       {CreateRevision{MakeRevision(1, kA, kNow)}, Start("h1", kA, 1), Start("h2", kA, 1),
        Start("h3", kA, 1), Patch()}},
      {"steady, status not yet written",
       Input(a3, Steady(kA), History(false)),
       {Patch(), Complete(1)}},
      {"new template: surge one new instance, keep every old one (maxUnavailable 0)",
       Input(b3, Steady(kA), History(false)),
       {CreateRevision{MakeRevision(2, kB, kNow)}, Start("h1", kB, 2), Patch()}},
      {"new instance available: stop one old",
       Input(b3, Plus(Steady(kA), {RunningInstance("b1", "h1", kB)}), History(true)),
       {Stop("a1", "h1", "RollingUpdate"), Patch()}},
      {"new instance still starting: nothing to stop",
       Input(b3, Plus(Steady(kA), {InstanceIn(InstancePhase::kStarting, "b1", "h1", kB)}),
             History(true)),
       {Patch()}},
      {"ready for less than minReadySeconds: not available yet",
       Input(With(b3, [](DesiredUnikernel& d) { d.min_ready_seconds = 30; }),
             Plus(Steady(kA), {RunningInstance("b1", "h1", kB, kNow - absl::Seconds(10))}),
             History(true)),
       {Patch()},
       absl::Seconds(20)},
      {"crash-looping old instance is stopped first",
       Input(MakeDesired(4, kB), four, History(false)),
       {CreateRevision{MakeRevision(2, kB, kNow)}, Start("h2", kB, 2),
        Stop("a4", "h1", "RollingUpdate"), Patch(),
        Warning("CrashLooping", "1 crash-looping: a4")}},
      {"host NotReady within the eviction timeout: Unknown, not replaced",
       Input(a3, Steady(kA), History(false),
             {MakeHost("h1"), MakeHost("h2"), Down(MakeHost("h3"), absl::Seconds(60))}),
       {Patch(), Warning("HostNotReady", "1 on NotReady hosts: a3")},
       absl::Seconds(240)},
      {"host NotReady past the eviction timeout: replaced elsewhere",
       Input(a3, Steady(kA), History(false),
             {MakeHost("h1"), MakeHost("h2"), Down(MakeHost("h3"), absl::Seconds(400))}),
       {Start("h1", kA, 1), Patch()}},
      {"host back: the surplus goes, the instance ready for the shortest time first",
       Input(a3, Plus(Steady(kA), {ReadySince(RunningInstance("a4", "h1", kA), At(500))}),
             History(false)),
       {Stop("a4", "h1", "ScaleDown"), Patch()}},
      {"scale down: not running first, then ready for the shortest time",
       Input(MakeDesired(2, kA),
             {InstanceIn(InstancePhase::kStarting, "a1", "h1", kA),
              ReadySince(RunningInstance("a2", "h2", kA), At(0)),
              ReadySince(RunningInstance("a3", "h3", kA), At(20)),
              ReadySince(RunningInstance("a4", "h1", kA), At(10))},
             History(false)),
       {Stop("a1", "h1", "ScaleDown"), Stop("a3", "h3", "ScaleDown"), Patch()}},
      {"paused: a new template waits, scaling adds the running revision",
       Input(With(b3, paused), {RunningInstance("a1", "h1", kA), RunningInstance("a2", "h2", kA)},
             History(false)),
       {CreateRevision{MakeRevision(2, kB, kNow)}, Start("h3", kA, 1), Patch()}},
      {"paused: no rollout",
       Input(With(b3, paused), Steady(kA), History(false)),
       {CreateRevision{MakeRevision(2, kB, kNow)}, Patch()}},
      {"Recreate: stop every old instance first",
       Input(With(b3, recreate), Steady(kA), History(false)),
       {CreateRevision{MakeRevision(2, kB, kNow)}, Stop("a1", "h1", "Recreate"),
        Stop("a2", "h2", "Recreate"), Stop("a3", "h3", "Recreate"), Patch()}},
      {"Recreate: wait while old instances still run",
       Input(With(b3, recreate),
             {Stopping(RunningInstance("a1", "h1", kA), InstancePhase::kRunning),
              Stopping(RunningInstance("a2", "h2", kA), InstancePhase::kSucceeded)},
             History(true)),
       {Delete("a2", "h2"), Patch()}},
      {"Recreate: old ones gone, start the new revision",
       Input(With(b3, recreate),
             {Stopping(RunningInstance("a1", "h1", kA), InstancePhase::kSucceeded),
              Stopping(RunningInstance("a2", "h2", kA), InstancePhase::kFailed)},
             History(true)),
       {Delete("a1", "h1"), Delete("a2", "h2"), Start("h1", kB, 2), Start("h2", kB, 2),
        Start("h3", kB, 2), Patch()}},
      {"finished without a stop (restartPolicy Never): forgotten and replaced",
       Input(a3, Plus(Steady(kA), {InstanceIn(InstancePhase::kFailed, "a4", "h3", kA)}),
             History(false)),
       {Delete("a4", "h3"), Patch(), Complete(1)}},
      {"failed instance among too few: replaced",
       Input(a3,
             {RunningInstance("a1", "h1", kA), RunningInstance("a2", "h2", kA),
              InstanceIn(InstancePhase::kFailed, "a3", "h3", kA)},
             History(false)),
       {Delete("a3", "h3"), Start("h3", kA, 1), Patch()}},
      {"host left the fleet: its instance is forgotten and replaced",
       Input(a3, Steady(kA), History(false), {MakeHost("h1"), MakeHost("h2")}),
       {Delete("a3", "h3"), Start("h1", kA, 1), Patch()}},
      {"deleting: stop everything",
       Input(With(a3, deleting), Steady(kA), History(false)),
       {Stop("a1", "h1", "Deleting"), Stop("a2", "h2", "Deleting"), Stop("a3", "h3", "Deleting"),
        Patch()}},
      {"deleting: still stopping, finalizer stays",
       Input(With(a3, deleting),
             {Stopping(RunningInstance("a1", "h1", kA), InstancePhase::kRunning)}, History(false)),
       {Patch()}},
      {"deleting: all stopped, forgotten, finalizer removed",
       Input(With(a3, deleting),
             {Stopping(RunningInstance("a1", "h1", kA), InstancePhase::kSucceeded),
              Stopping(RunningInstance("a2", "h2", kA), InstancePhase::kFailed)},
             History(false)),
       {Delete("a1", "h1"), Delete("a2", "h2"), Patch(), RemoveFinalizer{}}},
      {"deleting: a host lost past the eviction timeout is given up on",
       Input(With(a3, deleting),
             {Stopping(RunningInstance("a3", "h3", kA), InstancePhase::kRunning)}, History(false),
             {MakeHost("h1"), MakeHost("h2"), Down(MakeHost("h3"), absl::Seconds(400))}),
       {Delete("a3", "h3"), Patch(), RemoveFinalizer{}}},
      {"deleting: a host lost within the eviction timeout is waited for",
       Input(With(a3, deleting),
             {Stopping(RunningInstance("a3", "h3", kA), InstancePhase::kRunning)}, History(false),
             {MakeHost("h1"), MakeHost("h2"), Down(MakeHost("h3"), absl::Seconds(100))}),
       {Patch()},
       absl::Seconds(200)},
      {"gone: orphans are stopped",
       Input(std::nullopt, {RunningInstance("a1", "h1", kA)}, History(true)),
       {Stop("a1", "h1", "Orphaned")}},
      {"gone: nothing left, history deleted",
       Input(std::nullopt, {}, History(true)),
       {DeleteRevision{1, kA.hash}, DeleteRevision{2, kB.hash}}},
      {"nothing fits: the reason in status and an event",
       Input(a3, {}, {},
             {MakeHost("h1", {}, {128 * kMi, 4}), MakeHost("h2", {}, {128 * kMi, 4}),
              MakeHost("h3", {}, {128 * kMi, 4})}),
       {CreateRevision{MakeRevision(1, kA, kNow)}, Patch(),
        Warning("Unschedulable", "0/3 hosts fit: 3 insufficient memory")}},
      {"undo: the old template moves to a new number and rolls out",
       Input(a3, Steady(kB, "b"), {MakeRevision(1, kA), MakeRevision(2, kB)}),
       {UpdateRevision{Revision{.number = 3,
                                .hash = kA.hash,
                                .canonical = "a",
                                .created_time = At(0),
                                .progress_time = kNow}},
        Start("h1", kA, 3), Patch()}},
  };
}

TEST(ReconcileTest, Table) {
  for (Row& row : Rows()) {
    SCOPED_TRACE(row.name);
    std::mt19937_64 rng(1);
    ReconcileResult result = Reconcile(row.input, rng);
    EXPECT_EQ(Normalized(result.actions, "web"), row.want);
    if (row.want_requeue.has_value()) {
      EXPECT_EQ(result.requeue_after, row.want_requeue);
    }
  }
}

TEST(ReconcileTest, PrunesRevisionsBeyondTheHistoryLimit) {
  std::vector<Revision> history;
  for (int i = 1; i <= 4; ++i) {
    history.push_back(MakeRevision(i, MakeTemplate(std::to_string(i))));
  }
  DesiredUnikernel desired = MakeDesired(3, MakeTemplate("4"));
  desired.revision_history_limit = 1;
  std::mt19937_64 rng(1);
  ReconcileResult result = Reconcile(Input(desired, Steady(MakeTemplate("4")), history), rng);
  EXPECT_EQ(Normalized(result.actions, "web"),
            (std::vector<Action>{DeleteRevision{1, history[0].hash},
                                 DeleteRevision{2, history[1].hash}, Patch(), Complete(4)}));
}

TEST(ReconcileTest, SteadyStateWithItsStatusWrittenIsEmpty) {
  ReconcileInput input = Input(MakeDesired(3, kA), Steady(kA), History(false));
  std::mt19937_64 rng(1);
  ReconcileResult first = Reconcile(input, rng);
  ASSERT_TRUE(first.status.has_value());
  input.desired->status = *first.status;
  input.now += absl::Hours(1);
  ReconcileResult second = Reconcile(input, rng);
  EXPECT_TRUE(second.actions.empty()) << ::testing::PrintToString(second.actions);
  EXPECT_EQ(second.requeue_after, std::nullopt);
}

TEST(ReconcileTest, NamesAreUniqueFleetWideAndWithinAPass) {
  ReconcileInput input =
      Input(MakeDesired(30, kA), {}, {}, {MakeHost("h1", {}, {64 * testing::kGi, 64})});
  std::mt19937_64 probe(1);
  // Whatever the first draw would be is already taken elsewhere in the fleet.
  input.taken_names.insert(NewInstanceName("web", kA.hash, {}, probe));
  std::mt19937_64 rng(1);
  ReconcileResult result = Reconcile(input, rng);
  NameSet seen = input.taken_names;
  int starts = 0;
  for (const Action& action : result.actions) {
    if (const auto* start = std::get_if<StartInstance>(&action)) {
      EXPECT_TRUE(seen.insert(start->name).second) << start->name;
      ++starts;
    }
  }
  EXPECT_EQ(starts, 30);
}

TEST(ReconcileTest, ATakenLookupIsAskedForTheNamesDrawn) {
  ReconcileInput input =
      Input(MakeDesired(3, kA), {}, {}, {MakeHost("h1", {}, {64 * testing::kGi, 64})});
  std::mt19937_64 probe(1);
  std::string first_draw = NewInstanceName("web", kA.hash, {}, probe);
  std::vector<std::string> asked;
  input.taken_lookup.taken = [&](std::string_view name) {
    asked.emplace_back(name);
    return name == first_draw;  // in use on some host the set does not list
  };
  std::mt19937_64 rng(1);
  ReconcileResult result = Reconcile(input, rng);
  int starts = 0;
  for (const Action& action : result.actions) {
    if (const auto* start = std::get_if<StartInstance>(&action)) {
      EXPECT_NE(start->name, first_draw);
      ++starts;
    }
  }
  EXPECT_EQ(starts, 3);
  ASSERT_FALSE(asked.empty());
  EXPECT_EQ(asked.front(), first_draw);
}

TEST(ReconcileTest, ASteadyPassAsksForNoName) {
  ReconcileInput input = Input(MakeDesired(3, kA), Steady(kA), History(false));
  int asked = 0;
  input.taken_lookup.taken = [&](std::string_view) { return ++asked, false; };
  std::mt19937_64 rng(1);
  Reconcile(input, rng);
  EXPECT_EQ(asked, 0);
}

}  // namespace
}  // namespace nanoplane::controller::core
