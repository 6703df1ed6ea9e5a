#include "controller/core/actions.h"

#include "gtest/gtest.h"

namespace nanoplane::controller::core {
namespace {

TEST(ActionsTest, PrintsOneReadableLine) {
  EXPECT_EQ(ToString(StartInstance{.name = "web-0123456789-bcdfg",
                                   .host = "h1",
                                   .revision = 2,
                                   .resources = {268435456, 1}}),
            "StartInstance{web-0123456789-bcdfg on h1 rev 2 mem 268435456 cpus 1}");
  EXPECT_EQ(ToString(StopInstance{"web-x", "h2", "ScaleDown"}),
            "StopInstance{web-x on h2: ScaleDown}");
  EXPECT_EQ(ToString(RecordEvent{EventType::kWarning, "Unschedulable", "0/1 hosts fit"}),
            "RecordEvent{Warning Unschedulable: 0/1 hosts fit}");
  EXPECT_EQ(ToString(RemoveFinalizer{}), "RemoveFinalizer{}");
}

TEST(ActionsTest, EqualityComparesEveryField) {
  EXPECT_EQ(Action(DeleteInstance{"a", "h1"}), Action(DeleteInstance{"a", "h1"}));
  EXPECT_NE(Action(DeleteInstance{"a", "h1"}), Action(DeleteInstance{"a", "h2"}));
  EXPECT_NE(Action(DeleteInstance{"a", "h1"}), Action(StopInstance{"a", "h1", ""}));
}

}  // namespace
}  // namespace nanoplane::controller::core
