// Every combination of phase x readiness x host health x revision x stop
// requested x deletion, for one instance of a one-replica Unikernel, each
// asserting the full action list. The expected list is written from the rules
// as the docs state them, one dimension at a time.

#include <random>

#include "common/strings.h"
#include "controller/core/reconcile.h"
#include "controller/core/test_util.h"
#include "gtest/gtest.h"

namespace nanoplane::controller::core {
namespace {

using testing::At;
using testing::MakeDesired;
using testing::MakeHost;
using testing::MakeRevision;
using testing::MakeTemplate;
using testing::Normalized;

const Template kA = MakeTemplate("a");
const Template kB = MakeTemplate("b");
const absl::Time kNow = At(1000);

enum class HostHealth { kReady, kLost, kEvicted, kGone };
const char* kHealthNames[] = {"host Ready", "host NotReady 60s", "host NotReady 400s", "host gone"};

struct Combination {
  InstancePhase phase;
  bool ready;
  HostHealth health;
  bool old_revision;  // the instance runs A while the spec says B
  bool stop_requested;
  bool deleting;

  std::string Name() const {
    return StrCat(PhaseName(phase), ready ? " ready" : " not-ready", ", ",
                  kHealthNames[static_cast<int>(health)], old_revision ? ", old" : ", current",
                  stop_requested ? ", stopping" : "", deleting ? ", deleting" : "");
  }
};

ReconcileInput InputFor(const Combination& c) {
  DesiredUnikernel desired = MakeDesired(1, c.old_revision ? kB : kA);
  desired.deleting = c.deleting;
  desired.has_finalizer = true;
  std::vector<Revision> history = {MakeRevision(1, kA, kNow)};
  if (c.old_revision) {
    history.push_back(MakeRevision(2, kB, kNow));
  }
  Host h1 = MakeHost("h1");
  if (c.health == HostHealth::kLost || c.health == HostHealth::kEvicted) {
    h1.ready = false;
    h1.not_ready_since = kNow - absl::Seconds(c.health == HostHealth::kLost ? 60 : 400);
  }
  std::vector<Host> hosts = {MakeHost("h2")};
  if (c.health != HostHealth::kGone) {
    hosts.insert(hosts.begin(), h1);
  }
  Instance x{.name = "x1",
             .host = "h1",
             .revision_hash = kA.hash,
             .phase = c.phase,
             .ready = c.ready,
             .ready_since = At(0),
             .created_time = At(0),
             .stop_requested = c.stop_requested};
  return ReconcileInput{.desired = desired,
                        .instances = {x},
                        .hosts = hosts,
                        .revisions = history,
                        .now = kNow,
                        .eviction_timeout = absl::Minutes(5)};
}

std::vector<Action> Expected(const Combination& c) {
  bool finished = c.phase == InstancePhase::kSucceeded || c.phase == InstancePhase::kFailed;
  bool evicted = c.health == HostHealth::kEvicted;
  bool deletable = c.health == HostHealth::kGone || finished || (c.stop_requested && evicted);
  bool active = !deletable && !c.stop_requested && !evicted;
  bool host_ready = c.health == HostHealth::kReady;
  bool available = active && host_ready && c.ready && c.phase == InstancePhase::kRunning;
  std::vector<Action> want;
  if (deletable) {
    want.push_back(DeleteInstance{"x1", "h1"});
  }
  if (c.deleting) {
    if (!deletable && !c.stop_requested) {
      want.push_back(StopInstance{"x1", "h1", "Deleting"});
    }
    want.push_back(testing::Patch());
    if (deletable) {
      want.push_back(RemoveFinalizer{});
    }
    return want;
  }
  if (!active || c.old_revision) {
    // A replacement or the first new instance: beside x1 when h1 is Ready
    // and x1 does not count there, else on h2.
    std::string host = host_ready && !active ? "h1" : "h2";
    want.push_back(testing::Start(host, c.old_revision ? kB : kA, c.old_revision ? 2 : 1));
  }
  want.push_back(testing::Patch());
  if (active && !host_ready) {
    want.push_back(RecordEvent{EventType::kWarning, "HostNotReady", "1 on NotReady hosts: x1"});
  } else if (active && c.phase == InstancePhase::kBackOff) {
    want.push_back(RecordEvent{EventType::kWarning, "CrashLooping", "1 crash-looping: x1"});
  }
  if (available && !c.old_revision) {
    want.push_back(RecordEvent{EventType::kNormal, "RolloutComplete", "revision 1 rolled out"});
  }
  return want;
}

TEST(CombinationsTest, EveryCombinationForOneInstance) {
  int rows = 0;
  for (int phase = 0; phase <= static_cast<int>(InstancePhase::kUnknown); ++phase) {
    for (int health = 0; health <= static_cast<int>(HostHealth::kGone); ++health) {
      for (int bits = 0; bits < 16; ++bits) {
        Combination c{.phase = static_cast<InstancePhase>(phase),
                      .ready = (bits & 1) != 0,
                      .health = static_cast<HostHealth>(health),
                      .old_revision = (bits & 2) != 0,
                      .stop_requested = (bits & 4) != 0,
                      .deleting = (bits & 8) != 0};
        SCOPED_TRACE(c.Name());
        std::mt19937_64 rng(1);
        EXPECT_EQ(Normalized(Reconcile(InputFor(c), rng).actions, "web"), Expected(c));
        ++rows;
      }
    }
  }
  EXPECT_EQ(rows, 9 * 4 * 16);
}

}  // namespace
}  // namespace nanoplane::controller::core
