#include "controller/core/rollout.h"

#include <random>

#include "controller/core/test_util.h"
#include "gtest/gtest.h"

namespace nanoplane::controller::core {
namespace {

using testing::At;
using testing::kGi;
using testing::MakeDesired;
using testing::MakeHost;
using testing::MakeRevision;
using testing::MakeTemplate;
using testing::Normalized;
using testing::RunningInstance;
using testing::Start;
using testing::Stop;

const Template kA = MakeTemplate("a");
const Template kB = MakeTemplate("b");
const Template kC = MakeTemplate("c");

struct World {
  DesiredUnikernel desired;
  std::vector<Instance> instances;
  std::vector<Revision> history = {MakeRevision(1, kA), MakeRevision(2, kB), MakeRevision(3, kC)};
  HostList hosts = {MakeHost("h1", {}, {64 * kGi, 64})};
};

std::vector<Action> Plan(const World& world) {
  std::vector<InstanceView> views =
      ClassifyInstances(world.instances, world.hosts, world.history,
                        ClassifyOptions{.update_hash = world.desired.tmpl.hash, .now = At(1000)});
  Revision update;
  for (const Revision& revision : world.history) {
    if (revision.hash == world.desired.tmpl.hash) {
      update = revision;
    }
  }
  NameSet taken;
  std::mt19937_64 rng(5);
  RolloutPlan plan = PlanRollout(RolloutInput{.desired = &world.desired,
                                              .update = update,
                                              .views = &views,
                                              .history = &world.history,
                                              .hosts = &world.hosts.get(),
                                              .taken_names = &taken},
                                 rng);
  return Normalized(plan.actions, world.desired.name);
}

std::vector<Instance> Many(const Template& tmpl, std::string prefix, int count) {
  std::vector<Instance> out;
  for (int i = 0; i < count; ++i) {
    out.push_back(RunningInstance(prefix + std::to_string(i), "h1", tmpl));
  }
  return out;
}

TEST(RolloutTest, PercentagesSurgeAndStopInTheSamePass) {
  World world{.desired = MakeDesired(10, kB), .instances = Many(kA, "a", 10)};
  world.desired.max_surge = {30, true};        // 3
  world.desired.max_unavailable = {20, true};  // 2
  EXPECT_EQ(Plan(world), (std::vector<Action>{Start("h1", kB, 2), Start("h1", kB, 2),
                                              Start("h1", kB, 2), Stop("a0", "h1", "RollingUpdate"),
                                              Stop("a1", "h1", "RollingUpdate")}));
}

TEST(RolloutTest, NoSurgeStopsBeforeItStarts) {
  World world{.desired = MakeDesired(3, kB), .instances = Many(kA, "a", 3)};
  world.desired.max_surge = {0, false};
  world.desired.max_unavailable = {1, false};
  EXPECT_EQ(Plan(world), (std::vector<Action>{Stop("a0", "h1", "RollingUpdate")}));
  world.instances[0].stop_requested = true;
  EXPECT_EQ(Plan(world), (std::vector<Action>{Start("h1", kB, 2)}));
}

TEST(RolloutTest, OldestRevisionGoesFirst) {
  World world{.desired = MakeDesired(2, kC)};
  world.instances = {RunningInstance("b0", "h1", kB), RunningInstance("a0", "h1", kA),
                     RunningInstance("c0", "h1", kC), RunningInstance("c1", "h1", kC)};
  world.desired.max_unavailable = {0, false};
  EXPECT_EQ(Plan(world), (std::vector<Action>{Stop("a0", "h1", "RollingUpdate"),
                                              Stop("b0", "h1", "RollingUpdate")}));
}

TEST(RolloutTest, NeverStopsBelowMinimumAvailable) {
  World world{.desired = MakeDesired(4, kB), .instances = Many(kA, "a", 4)};
  world.desired.max_surge = {0, false};
  world.desired.max_unavailable = {1, false};
  world.instances[0].ready = false;  // already one unavailable: no more may go
  world.instances.push_back(testing::InstanceIn(InstancePhase::kStarting, "b0", "h1", kB));
  world.instances[0].stop_requested = true;
  EXPECT_EQ(Plan(world), (std::vector<Action>{}));
}

TEST(RolloutTest, PausedScaleDownPrefersOldRevisions) {
  World world{.desired = MakeDesired(2, kB)};
  world.desired.paused = true;
  world.instances = {RunningInstance("b0", "h1", kB), RunningInstance("a0", "h1", kA),
                     RunningInstance("b1", "h1", kB)};
  EXPECT_EQ(Plan(world), (std::vector<Action>{Stop("a0", "h1", "ScaleDown")}));
}

TEST(RolloutTest, ScaleToZero) {
  World world{.desired = MakeDesired(0, kA), .instances = Many(kA, "a", 2)};
  EXPECT_EQ(Plan(world),
            (std::vector<Action>{Stop("a0", "h1", "ScaleDown"), Stop("a1", "h1", "ScaleDown")}));
}

}  // namespace
}  // namespace nanoplane::controller::core
