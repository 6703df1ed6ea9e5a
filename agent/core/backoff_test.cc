#include "agent/core/backoff.h"

#include <vector>

#include "gtest/gtest.h"

namespace nanoplane::agent::core {
namespace {

using absl::Minutes;
using absl::Seconds;

TEST(BackOffTest, StartsAtTenSecondsDoublesAndCapsAtFiveMinutes) {
  const BackOffPolicy policy;
  std::vector<absl::Duration> delays;
  absl::Duration delay = absl::ZeroDuration();
  for (int i = 0; i < 8; ++i) {
    delay = NextBackOff(policy, delay);
    delays.push_back(delay);
  }
  EXPECT_EQ(delays,
            (std::vector<absl::Duration>{Seconds(10), Seconds(20), Seconds(40), Seconds(80),
                                         Seconds(160), Seconds(300), Seconds(300), Seconds(300)}));
}

TEST(BackOffTest, HugePreviousDelayDoesNotOverflow) {
  EXPECT_EQ(NextBackOff(BackOffPolicy{}, absl::InfiniteDuration()), Minutes(5));
}

TEST(BackOffTest, ARunOfTenMinutesResetsTheDelay) {
  const BackOffPolicy policy;
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  EXPECT_EQ(BackOffAfterRun(policy, Seconds(160), t0, t0 + Minutes(10)), absl::ZeroDuration());
  EXPECT_EQ(BackOffAfterRun(policy, Seconds(160), t0, t0 + Minutes(10) - Seconds(1)), Seconds(160));
}

TEST(BackOffTest, AnUnknownRunLengthKeepsTheDelay) {
  EXPECT_EQ(BackOffAfterRun(BackOffPolicy{}, Seconds(40), std::nullopt, absl::FromUnixSeconds(9e9)),
            Seconds(40));
}

}  // namespace
}  // namespace nanoplane::agent::core
