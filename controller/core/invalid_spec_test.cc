#include "controller/core/invalid_spec.h"

#include "controller/core/conditions.h"
#include "gtest/gtest.h"

namespace nanoplane::controller::core {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);
constexpr std::string_view kMessage =
    "spec.strategy.rollingUpdate: maxSurge and maxUnavailable are both 0";

UnikernelStatus Running() {
  return {.observed_generation = 1,
          .replicas = 3,
          .ready_replicas = 3,
          .available_replicas = 3,
          .conditions = {{.type = "Available", .status = ConditionStatus::kTrue},
                         {.type = "Degraded",
                          .status = ConditionStatus::kFalse,
                          .reason = "AsExpected",
                          .last_transition_time = kNow - absl::Hours(1)}}};
}

TEST(ReportInvalidSpecTest, MarksDegradedObservesTheGenerationAndTellsOnce) {
  std::vector<Action> actions = ReportInvalidSpec(Running(), 2, kMessage, kNow);
  ASSERT_EQ(actions.size(), 2u);
  const auto& patch = std::get<PatchStatus>(actions[0]);
  EXPECT_EQ(patch.status.observed_generation, 2);
  EXPECT_EQ(patch.status.ready_replicas, 3) << "the counts of what runs are kept";
  const Condition* degraded = FindCondition(patch.status.conditions, kDegraded);
  ASSERT_NE(degraded, nullptr);
  EXPECT_EQ(*degraded, (Condition{.type = "Degraded",
                                  .status = ConditionStatus::kTrue,
                                  .reason = "InvalidSpec",
                                  .message = std::string(kMessage),
                                  .last_transition_time = kNow}));
  EXPECT_EQ(actions[1], (Action{RecordEvent{.type = EventType::kWarning,
                                            .reason = "InvalidSpec",
                                            .message = std::string(kMessage)}}));
  // Once written, the next pass (our own status write moved the version) has
  // nothing to do.
  EXPECT_TRUE(ReportInvalidSpec(patch.status, 2, kMessage, kNow + absl::Seconds(5)).empty());
}

TEST(ReportInvalidSpecTest, ANewMistakeIsToldAgainWithoutMovingTheTransitionTime) {
  auto first = std::get<PatchStatus>(ReportInvalidSpec(Running(), 2, kMessage, kNow)[0]);
  std::vector<Action> again =
      ReportInvalidSpec(first.status, 3, "spec.replicas: must be >= 0", kNow + absl::Minutes(1));
  ASSERT_EQ(again.size(), 2u);
  const Condition* degraded =
      FindCondition(std::get<PatchStatus>(again[0]).status.conditions, kDegraded);
  EXPECT_EQ(degraded->last_transition_time, kNow) << "still True: no transition";
  EXPECT_EQ(std::get<RecordEvent>(again[1]).message, "spec.replicas: must be >= 0");
}

TEST(ReportInvalidSpecTest, AnObjectWithoutStatusGetsOne) {
  std::vector<Action> actions = ReportInvalidSpec({}, 1, kMessage, kNow);
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(std::get<PatchStatus>(actions[0]).status.conditions.size(), 1u);
}

}  // namespace
}  // namespace nanoplane::controller::core
