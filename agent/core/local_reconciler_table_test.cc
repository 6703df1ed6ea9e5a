// The local reconciler's decision table: every combination of desired state ×
// observed VM × image build × restart policy, one named row each, asserting the
// full action list and the reported phase.
//
// Every row is "settled": the round happens an hour after the VM started,
// exited (if it did) or became unassigned, so back-offs and grace periods have
// passed. Their timing has its own tests in local_reconciler_test.cc.

#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "agent/core/local_reconciler.h"
#include "agent/core/test_util.h"
#include "gtest/gtest.h"

namespace nanoplane::agent::core {
namespace {

using testing::Desired;
using testing::Identity;
using testing::kT0;

enum class D { kAbsent, kPresent, kChanged };  // changed: desired spec h2, VM runs h1
enum class O { kNone, kRunning, kClean, kCrashed, kForeign };  // clean: exit code 0
enum class B { kNone, kInFlight, kDone };                      // the image of the desired spec
using P = RestartPolicy;

struct Row {
  D desired;
  O observed;
  B build;
  P policy;
  std::vector<Action> actions;
  std::optional<InstancePhase> phase;  // nullopt: web-0 is not reported
};

constexpr std::optional<InstancePhase> kNoReport;
constexpr auto kPending = InstancePhase::kPending;
constexpr auto kBuilding = InstancePhase::kBuilding;
constexpr auto kStarting = InstancePhase::kStarting;
constexpr auto kRunning = InstancePhase::kRunning;
constexpr auto kSucceeded = InstancePhase::kSucceeded;
constexpr auto kFailed = InstancePhase::kFailed;
constexpr auto kTerminating = InstancePhase::kTerminating;

const Action kBuildH1 = BuildImage{.spec_hash = "h1", .instance = "web-0"};
const Action kBuildH2 = BuildImage{.spec_hash = "h2", .instance = "web-0"};
const Action kStartH1 = StartInstance{.identity = Identity("web-0", "h1"), .image_key = "img-h1"};
const Action kStartH2 = StartInstance{.identity = Identity("web-0", "h2"), .image_key = "img-h2"};
const Action kRestartExit0 = RestartInstance{.name = "web-0", .reason = "exit code 0"};
const Action kRestartCrashed = RestartInstance{.name = "web-0", .reason = "crashed"};
const Action kStopUnassigned = StopInstance{.name = "web-0", .reason = "not assigned"};
const Action kDeleteUnassigned = DeleteInstance{.name = "web-0", .reason = "not assigned"};
const Action kStopReplaced = StopInstance{.name = "web-0", .reason = "spec changed"};
const Action kDeleteReplaced = DeleteInstance{.name = "web-0", .reason = "spec changed"};

const std::vector<Row> kTable = {
    {D::kAbsent, O::kNone, B::kNone, P::kAlways, {}, kNoReport},
    {D::kAbsent, O::kNone, B::kNone, P::kOnFailure, {}, kNoReport},
    {D::kAbsent, O::kNone, B::kNone, P::kNever, {}, kNoReport},
    {D::kAbsent, O::kNone, B::kInFlight, P::kAlways, {}, kNoReport},
    {D::kAbsent, O::kNone, B::kInFlight, P::kOnFailure, {}, kNoReport},
    {D::kAbsent, O::kNone, B::kInFlight, P::kNever, {}, kNoReport},
    {D::kAbsent, O::kNone, B::kDone, P::kAlways, {}, kNoReport},
    {D::kAbsent, O::kNone, B::kDone, P::kOnFailure, {}, kNoReport},
    {D::kAbsent, O::kNone, B::kDone, P::kNever, {}, kNoReport},
    {D::kAbsent, O::kRunning, B::kNone, P::kAlways, {kStopUnassigned}, kTerminating},
    {D::kAbsent, O::kRunning, B::kNone, P::kOnFailure, {kStopUnassigned}, kTerminating},
    {D::kAbsent, O::kRunning, B::kNone, P::kNever, {kStopUnassigned}, kTerminating},
    {D::kAbsent, O::kRunning, B::kInFlight, P::kAlways, {kStopUnassigned}, kTerminating},
    {D::kAbsent, O::kRunning, B::kInFlight, P::kOnFailure, {kStopUnassigned}, kTerminating},
    {D::kAbsent, O::kRunning, B::kInFlight, P::kNever, {kStopUnassigned}, kTerminating},
    {D::kAbsent, O::kRunning, B::kDone, P::kAlways, {kStopUnassigned}, kTerminating},
    {D::kAbsent, O::kRunning, B::kDone, P::kOnFailure, {kStopUnassigned}, kTerminating},
    {D::kAbsent, O::kRunning, B::kDone, P::kNever, {kStopUnassigned}, kTerminating},
    {D::kAbsent, O::kClean, B::kNone, P::kAlways, {kDeleteUnassigned}, kTerminating},
    {D::kAbsent, O::kClean, B::kNone, P::kOnFailure, {kDeleteUnassigned}, kTerminating},
    {D::kAbsent, O::kClean, B::kNone, P::kNever, {kDeleteUnassigned}, kTerminating},
    {D::kAbsent, O::kClean, B::kInFlight, P::kAlways, {kDeleteUnassigned}, kTerminating},
    {D::kAbsent, O::kClean, B::kInFlight, P::kOnFailure, {kDeleteUnassigned}, kTerminating},
    {D::kAbsent, O::kClean, B::kInFlight, P::kNever, {kDeleteUnassigned}, kTerminating},
    {D::kAbsent, O::kClean, B::kDone, P::kAlways, {kDeleteUnassigned}, kTerminating},
    {D::kAbsent, O::kClean, B::kDone, P::kOnFailure, {kDeleteUnassigned}, kTerminating},
    {D::kAbsent, O::kClean, B::kDone, P::kNever, {kDeleteUnassigned}, kTerminating},
    {D::kAbsent, O::kCrashed, B::kNone, P::kAlways, {kDeleteUnassigned}, kTerminating},
    {D::kAbsent, O::kCrashed, B::kNone, P::kOnFailure, {kDeleteUnassigned}, kTerminating},
    {D::kAbsent, O::kCrashed, B::kNone, P::kNever, {kDeleteUnassigned}, kTerminating},
    {D::kAbsent, O::kCrashed, B::kInFlight, P::kAlways, {kDeleteUnassigned}, kTerminating},
    {D::kAbsent, O::kCrashed, B::kInFlight, P::kOnFailure, {kDeleteUnassigned}, kTerminating},
    {D::kAbsent, O::kCrashed, B::kInFlight, P::kNever, {kDeleteUnassigned}, kTerminating},
    {D::kAbsent, O::kCrashed, B::kDone, P::kAlways, {kDeleteUnassigned}, kTerminating},
    {D::kAbsent, O::kCrashed, B::kDone, P::kOnFailure, {kDeleteUnassigned}, kTerminating},
    {D::kAbsent, O::kCrashed, B::kDone, P::kNever, {kDeleteUnassigned}, kTerminating},
    {D::kAbsent, O::kForeign, B::kNone, P::kAlways, {}, kNoReport},
    {D::kAbsent, O::kForeign, B::kNone, P::kOnFailure, {}, kNoReport},
    {D::kAbsent, O::kForeign, B::kNone, P::kNever, {}, kNoReport},
    {D::kAbsent, O::kForeign, B::kInFlight, P::kAlways, {}, kNoReport},
    {D::kAbsent, O::kForeign, B::kInFlight, P::kOnFailure, {}, kNoReport},
    {D::kAbsent, O::kForeign, B::kInFlight, P::kNever, {}, kNoReport},
    {D::kAbsent, O::kForeign, B::kDone, P::kAlways, {}, kNoReport},
    {D::kAbsent, O::kForeign, B::kDone, P::kOnFailure, {}, kNoReport},
    {D::kAbsent, O::kForeign, B::kDone, P::kNever, {}, kNoReport},
    {D::kPresent, O::kNone, B::kNone, P::kAlways, {kBuildH1}, kBuilding},
    {D::kPresent, O::kNone, B::kNone, P::kOnFailure, {kBuildH1}, kBuilding},
    {D::kPresent, O::kNone, B::kNone, P::kNever, {kBuildH1}, kBuilding},
    {D::kPresent, O::kNone, B::kInFlight, P::kAlways, {}, kBuilding},
    {D::kPresent, O::kNone, B::kInFlight, P::kOnFailure, {}, kBuilding},
    {D::kPresent, O::kNone, B::kInFlight, P::kNever, {}, kBuilding},
    {D::kPresent, O::kNone, B::kDone, P::kAlways, {kStartH1}, kStarting},
    {D::kPresent, O::kNone, B::kDone, P::kOnFailure, {kStartH1}, kStarting},
    {D::kPresent, O::kNone, B::kDone, P::kNever, {kStartH1}, kStarting},
    {D::kPresent, O::kRunning, B::kNone, P::kAlways, {}, kRunning},
    {D::kPresent, O::kRunning, B::kNone, P::kOnFailure, {}, kRunning},
    {D::kPresent, O::kRunning, B::kNone, P::kNever, {}, kRunning},
    {D::kPresent, O::kRunning, B::kInFlight, P::kAlways, {}, kRunning},
    {D::kPresent, O::kRunning, B::kInFlight, P::kOnFailure, {}, kRunning},
    {D::kPresent, O::kRunning, B::kInFlight, P::kNever, {}, kRunning},
    {D::kPresent, O::kRunning, B::kDone, P::kAlways, {}, kRunning},
    {D::kPresent, O::kRunning, B::kDone, P::kOnFailure, {}, kRunning},
    {D::kPresent, O::kRunning, B::kDone, P::kNever, {}, kRunning},
    {D::kPresent, O::kClean, B::kNone, P::kAlways, {kRestartExit0}, kStarting},
    {D::kPresent, O::kClean, B::kNone, P::kOnFailure, {}, kSucceeded},
    {D::kPresent, O::kClean, B::kNone, P::kNever, {}, kSucceeded},
    {D::kPresent, O::kClean, B::kInFlight, P::kAlways, {kRestartExit0}, kStarting},
    {D::kPresent, O::kClean, B::kInFlight, P::kOnFailure, {}, kSucceeded},
    {D::kPresent, O::kClean, B::kInFlight, P::kNever, {}, kSucceeded},
    {D::kPresent, O::kClean, B::kDone, P::kAlways, {kRestartExit0}, kStarting},
    {D::kPresent, O::kClean, B::kDone, P::kOnFailure, {}, kSucceeded},
    {D::kPresent, O::kClean, B::kDone, P::kNever, {}, kSucceeded},
    {D::kPresent, O::kCrashed, B::kNone, P::kAlways, {kRestartCrashed}, kStarting},
    {D::kPresent, O::kCrashed, B::kNone, P::kOnFailure, {kRestartCrashed}, kStarting},
    {D::kPresent, O::kCrashed, B::kNone, P::kNever, {}, kFailed},
    {D::kPresent, O::kCrashed, B::kInFlight, P::kAlways, {kRestartCrashed}, kStarting},
    {D::kPresent, O::kCrashed, B::kInFlight, P::kOnFailure, {kRestartCrashed}, kStarting},
    {D::kPresent, O::kCrashed, B::kInFlight, P::kNever, {}, kFailed},
    {D::kPresent, O::kCrashed, B::kDone, P::kAlways, {kRestartCrashed}, kStarting},
    {D::kPresent, O::kCrashed, B::kDone, P::kOnFailure, {kRestartCrashed}, kStarting},
    {D::kPresent, O::kCrashed, B::kDone, P::kNever, {}, kFailed},
    {D::kPresent, O::kForeign, B::kNone, P::kAlways, {}, kPending},
    {D::kPresent, O::kForeign, B::kNone, P::kOnFailure, {}, kPending},
    {D::kPresent, O::kForeign, B::kNone, P::kNever, {}, kPending},
    {D::kPresent, O::kForeign, B::kInFlight, P::kAlways, {}, kPending},
    {D::kPresent, O::kForeign, B::kInFlight, P::kOnFailure, {}, kPending},
    {D::kPresent, O::kForeign, B::kInFlight, P::kNever, {}, kPending},
    {D::kPresent, O::kForeign, B::kDone, P::kAlways, {}, kPending},
    {D::kPresent, O::kForeign, B::kDone, P::kOnFailure, {}, kPending},
    {D::kPresent, O::kForeign, B::kDone, P::kNever, {}, kPending},
    {D::kChanged, O::kNone, B::kNone, P::kAlways, {kBuildH2}, kBuilding},
    {D::kChanged, O::kNone, B::kNone, P::kOnFailure, {kBuildH2}, kBuilding},
    {D::kChanged, O::kNone, B::kNone, P::kNever, {kBuildH2}, kBuilding},
    {D::kChanged, O::kNone, B::kInFlight, P::kAlways, {}, kBuilding},
    {D::kChanged, O::kNone, B::kInFlight, P::kOnFailure, {}, kBuilding},
    {D::kChanged, O::kNone, B::kInFlight, P::kNever, {}, kBuilding},
    {D::kChanged, O::kNone, B::kDone, P::kAlways, {kStartH2}, kStarting},
    {D::kChanged, O::kNone, B::kDone, P::kOnFailure, {kStartH2}, kStarting},
    {D::kChanged, O::kNone, B::kDone, P::kNever, {kStartH2}, kStarting},
    {D::kChanged, O::kRunning, B::kNone, P::kAlways, {kBuildH2, kStopReplaced}, kTerminating},
    {D::kChanged, O::kRunning, B::kNone, P::kOnFailure, {kBuildH2, kStopReplaced}, kTerminating},
    {D::kChanged, O::kRunning, B::kNone, P::kNever, {kBuildH2, kStopReplaced}, kTerminating},
    {D::kChanged, O::kRunning, B::kInFlight, P::kAlways, {kStopReplaced}, kTerminating},
    {D::kChanged, O::kRunning, B::kInFlight, P::kOnFailure, {kStopReplaced}, kTerminating},
    {D::kChanged, O::kRunning, B::kInFlight, P::kNever, {kStopReplaced}, kTerminating},
    {D::kChanged, O::kRunning, B::kDone, P::kAlways, {kStopReplaced}, kTerminating},
    {D::kChanged, O::kRunning, B::kDone, P::kOnFailure, {kStopReplaced}, kTerminating},
    {D::kChanged, O::kRunning, B::kDone, P::kNever, {kStopReplaced}, kTerminating},
    {D::kChanged, O::kClean, B::kNone, P::kAlways, {kBuildH2, kDeleteReplaced}, kTerminating},
    {D::kChanged, O::kClean, B::kNone, P::kOnFailure, {kBuildH2, kDeleteReplaced}, kTerminating},
    {D::kChanged, O::kClean, B::kNone, P::kNever, {kBuildH2, kDeleteReplaced}, kTerminating},
    {D::kChanged, O::kClean, B::kInFlight, P::kAlways, {kDeleteReplaced}, kTerminating},
    {D::kChanged, O::kClean, B::kInFlight, P::kOnFailure, {kDeleteReplaced}, kTerminating},
    {D::kChanged, O::kClean, B::kInFlight, P::kNever, {kDeleteReplaced}, kTerminating},
    {D::kChanged, O::kClean, B::kDone, P::kAlways, {kDeleteReplaced}, kTerminating},
    {D::kChanged, O::kClean, B::kDone, P::kOnFailure, {kDeleteReplaced}, kTerminating},
    {D::kChanged, O::kClean, B::kDone, P::kNever, {kDeleteReplaced}, kTerminating},
    {D::kChanged, O::kCrashed, B::kNone, P::kAlways, {kBuildH2, kDeleteReplaced}, kTerminating},
    {D::kChanged, O::kCrashed, B::kNone, P::kOnFailure, {kBuildH2, kDeleteReplaced}, kTerminating},
    {D::kChanged, O::kCrashed, B::kNone, P::kNever, {kBuildH2, kDeleteReplaced}, kTerminating},
    {D::kChanged, O::kCrashed, B::kInFlight, P::kAlways, {kDeleteReplaced}, kTerminating},
    {D::kChanged, O::kCrashed, B::kInFlight, P::kOnFailure, {kDeleteReplaced}, kTerminating},
    {D::kChanged, O::kCrashed, B::kInFlight, P::kNever, {kDeleteReplaced}, kTerminating},
    {D::kChanged, O::kCrashed, B::kDone, P::kAlways, {kDeleteReplaced}, kTerminating},
    {D::kChanged, O::kCrashed, B::kDone, P::kOnFailure, {kDeleteReplaced}, kTerminating},
    {D::kChanged, O::kCrashed, B::kDone, P::kNever, {kDeleteReplaced}, kTerminating},
    {D::kChanged, O::kForeign, B::kNone, P::kAlways, {}, kPending},
    {D::kChanged, O::kForeign, B::kNone, P::kOnFailure, {}, kPending},
    {D::kChanged, O::kForeign, B::kNone, P::kNever, {}, kPending},
    {D::kChanged, O::kForeign, B::kInFlight, P::kAlways, {}, kPending},
    {D::kChanged, O::kForeign, B::kInFlight, P::kOnFailure, {}, kPending},
    {D::kChanged, O::kForeign, B::kInFlight, P::kNever, {}, kPending},
    {D::kChanged, O::kForeign, B::kDone, P::kAlways, {}, kPending},
    {D::kChanged, O::kForeign, B::kDone, P::kOnFailure, {}, kPending},
    {D::kChanged, O::kForeign, B::kDone, P::kNever, {}, kPending},
};

const char* Name(D d) {
  switch (d) {
    case D::kAbsent:
      return "NotDesired";
    case D::kPresent:
      return "Desired";
    case D::kChanged:
      return "SpecChanged";
  }
  return "?";
}

const char* Name(O o) {
  switch (o) {
    case O::kNone:
      return "NoVm";
    case O::kRunning:
      return "Running";
    case O::kClean:
      return "ExitedClean";
    case O::kCrashed:
      return "Crashed";
    case O::kForeign:
      return "NotOurs";
  }
  return "?";
}

const char* Name(B b) {
  switch (b) {
    case B::kNone:
      return "NoImage";
    case B::kInFlight:
      return "Building";
    case B::kDone:
      return "Built";
  }
  return "?";
}

std::string RowName(const ::testing::TestParamInfo<Row>& info) {
  const Row& row = info.param;
  return std::string(Name(row.desired)) + "_" + Name(row.observed) + "_" + Name(row.build) + "_" +
         RestartPolicyName(row.policy);
}

std::optional<ObservedVm> Vm(O observed) {
  const InstanceIdentity old = Identity("web-0", "h1");
  switch (observed) {
    case O::kNone:
      return std::nullopt;
    case O::kRunning:
      return testing::RunningVm(old, kT0);
    case O::kClean:
      return testing::StoppedVm(old, StopReason::kExited, 0);
    case O::kCrashed:
      return testing::StoppedVm(old, StopReason::kCrashed);
    case O::kForeign:
      return testing::ForeignVm("web-0");
  }
  return std::nullopt;
}

// The state a watching agent would hold an hour after kT0.
InstanceRuntime SettledRuntime(O observed) {
  InstanceRuntime rt{.backoff = absl::Seconds(10), .undesired_since = kT0};
  if (observed == O::kClean || observed == O::kCrashed) {
    rt.exited_at = kT0;
    rt.restart_at = kT0 + absl::Seconds(10);
    rt.run_started_at = kT0 - absl::Minutes(1);
  }
  return rt;
}

class DecisionTableTest : public ::testing::TestWithParam<Row> {};

TEST_P(DecisionTableTest, DecidesTheFullActionListAndPhase) {
  const Row& row = GetParam();
  const std::string hash = row.desired == D::kChanged ? "h2" : "h1";
  Assignment assignment{.generation = 1};
  if (row.desired != D::kAbsent) {
    assignment.instances.push_back(Desired("web-0", row.policy, hash, row.build == B::kDone));
  }
  Activity activity;
  if (row.build == B::kInFlight) {
    activity.builds_in_flight.insert(hash);
  }
  std::vector<ObservedVm> observed;
  if (auto vm = Vm(row.observed)) {
    observed.push_back(*vm);
  }
  const RuntimeStates runtime = {{"web-0", SettledRuntime(row.observed)}};

  const LocalPlan plan =
      DecideLocal(assignment, observed, activity, runtime, kT0 + absl::Hours(1), LocalOptions{});

  EXPECT_EQ(plan.actions, row.actions);
  const InstanceReport* report = testing::FindReport(plan, "web-0");
  if (row.phase.has_value()) {
    ASSERT_NE(report, nullptr);
    EXPECT_EQ(report->phase, *row.phase) << report->message;
  } else {
    EXPECT_EQ(report, nullptr);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryCombination, DecisionTableTest, ::testing::ValuesIn(kTable), RowName);

TEST(DecisionTableCoverageTest, TableHoldsEveryCombinationOnce) {
  std::set<std::tuple<D, O, B, P>> seen;
  for (const Row& row : kTable) {
    EXPECT_TRUE(seen.emplace(row.desired, row.observed, row.build, row.policy).second);
  }
  EXPECT_EQ(seen.size(), 3u * 5u * 3u * 3u);
}

}  // namespace
}  // namespace nanoplane::agent::core
