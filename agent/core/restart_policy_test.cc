#include "agent/core/restart_policy.h"

#include "agent/core/test_util.h"
#include "gtest/gtest.h"

namespace nanoplane::agent::core {
namespace {

using testing::Identity;
using testing::StoppedVm;

TEST(RestartPolicyTest, OnlyACleanExitIsASuccess) {
  const InstanceIdentity id = Identity("web-0");
  EXPECT_FALSE(ClassifyRunEnd(StoppedVm(id, StopReason::kShutdown), false).failed);
  EXPECT_FALSE(ClassifyRunEnd(StoppedVm(id, StopReason::kExited, 0), false).failed);
  EXPECT_TRUE(ClassifyRunEnd(StoppedVm(id, StopReason::kExited, 3), false).failed);
  EXPECT_TRUE(ClassifyRunEnd(StoppedVm(id, StopReason::kCrashed), false).failed);
  EXPECT_TRUE(ClassifyRunEnd(StoppedVm(id, StopReason::kDestroyed), false).failed);
  EXPECT_TRUE(ClassifyRunEnd(StoppedVm(id, StopReason::kFailed), false).failed);
  EXPECT_TRUE(ClassifyRunEnd(StoppedVm(id, StopReason::kUnknown), false).failed);
  EXPECT_TRUE(ClassifyRunEnd(StoppedVm(id, StopReason::kShutdown), true).failed);
}

TEST(RestartPolicyTest, MessagesNameTheExitCode) {
  const InstanceIdentity id = Identity("web-0");
  EXPECT_EQ(ClassifyRunEnd(StoppedVm(id, StopReason::kExited, 3), false),
            (RunEnd{.failed = true, .exit_code = 3, .message = "exit code 3"}));
  EXPECT_EQ(ClassifyRunEnd(StoppedVm(id, StopReason::kCrashed, 1), false).message,
            "crashed (exit code 1)");
  EXPECT_EQ(ClassifyRunEnd(StoppedVm(id, StopReason::kDestroyed), true).message,
            "liveness probe failed");
  ObservedVm crashed_state = StoppedVm(id, StopReason::kNone);
  crashed_state.state = VmState::kCrashed;
  EXPECT_EQ(ClassifyRunEnd(crashed_state, false).message, "crashed");
}

TEST(RestartPolicyTest, PolicyDecidesWhichEndsRestart) {
  const RunEnd ok{.failed = false};
  const RunEnd failed{.failed = true};
  EXPECT_TRUE(ShouldRestart(RestartPolicy::kAlways, ok));
  EXPECT_TRUE(ShouldRestart(RestartPolicy::kAlways, failed));
  EXPECT_FALSE(ShouldRestart(RestartPolicy::kOnFailure, ok));
  EXPECT_TRUE(ShouldRestart(RestartPolicy::kOnFailure, failed));
  EXPECT_FALSE(ShouldRestart(RestartPolicy::kNever, ok));
  EXPECT_FALSE(ShouldRestart(RestartPolicy::kNever, failed));
}

}  // namespace
}  // namespace nanoplane::agent::core
