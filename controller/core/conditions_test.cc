#include "controller/core/conditions.h"

#include "controller/core/test_util.h"
#include "gtest/gtest.h"

namespace nanoplane::controller::core {
namespace {

using testing::At;

const std::vector<Condition> kBefore = {{.type = "Available",
                                         .status = ConditionStatus::kTrue,
                                         .reason = "MinimumReplicasAvailable",
                                         .message = "3/3",
                                         .last_transition_time = At(10)}};

TEST(ConditionsTest, SameStatusKeepsTheTransitionTimeEvenWhenReasonOrMessageChange) {
  Condition c = Transition(
      kBefore,
      {.type = "Available", .status = ConditionStatus::kTrue, .reason = "Other", .message = "2/3"},
      At(50));
  EXPECT_EQ(c.last_transition_time, At(10));
  EXPECT_EQ(c.reason, "Other");
}

TEST(ConditionsTest, FlipTakesNow) {
  Condition c =
      Transition(kBefore, {.type = "Available", .status = ConditionStatus::kFalse}, At(50));
  EXPECT_EQ(c.last_transition_time, At(50));
}

TEST(ConditionsTest, NewConditionTakesNow) {
  Condition c =
      Transition(kBefore, {.type = "Degraded", .status = ConditionStatus::kFalse}, At(50));
  EXPECT_EQ(c.last_transition_time, At(50));
  EXPECT_EQ(FindCondition(kBefore, "Degraded"), nullptr);
  EXPECT_EQ(FindCondition(kBefore, "Available"), &kBefore[0]);
}

}  // namespace
}  // namespace nanoplane::controller::core
