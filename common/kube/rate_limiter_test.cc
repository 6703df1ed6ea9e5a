#include "common/kube/rate_limiter.h"

#include "gtest/gtest.h"

namespace nanoplane::kube {
namespace {

// Simulated time: sleeping moves the clock.
struct FakeTime {
  absl::Time now = absl::FromUnixSeconds(0);
  absl::Duration slept;
  TokenBucket Bucket(double qps, int burst) {
    return TokenBucket(
        qps, burst, [this] { return now; },
        [this](absl::Duration d) {
          now += d;
          slept += d;
        });
  }
};

TEST(TokenBucketTest, BurstGoesAtOnceThenQps) {
  FakeTime time;
  TokenBucket bucket = time.Bucket(5, 10);
  for (int i = 0; i < 10; ++i) {
    bucket.Acquire();
  }
  EXPECT_EQ(time.slept, absl::ZeroDuration());
  for (int i = 0; i < 5; ++i) {
    bucket.Acquire();
  }
  EXPECT_EQ(time.slept, absl::Seconds(1));
}

TEST(TokenBucketTest, RefillsWhileIdleUpToTheBurst) {
  FakeTime time;
  TokenBucket bucket = time.Bucket(5, 10);
  for (int i = 0; i < 10; ++i) {
    bucket.Acquire();
  }
  time.now += absl::Hours(1);  // a long pause refills to the burst, not beyond
  for (int i = 0; i < 10; ++i) {
    bucket.Acquire();
  }
  EXPECT_EQ(time.slept, absl::ZeroDuration());
  bucket.Acquire();
  EXPECT_EQ(time.slept, absl::Milliseconds(200));
}

TEST(TokenBucketTest, ConcurrentWaitersReserveInTurn) {
  FakeTime time;
  TokenBucket bucket = time.Bucket(2, 1);
  EXPECT_EQ(bucket.Reserve(), absl::ZeroDuration());
  EXPECT_EQ(bucket.Reserve(), absl::Milliseconds(500));
  EXPECT_EQ(bucket.Reserve(), absl::Milliseconds(1000));
}

TEST(TokenBucketTest, ZeroQpsIsUnlimited) {
  FakeTime time;
  TokenBucket bucket = time.Bucket(0, 1);
  for (int i = 0; i < 1000; ++i) {
    bucket.Acquire();
  }
  EXPECT_EQ(time.slept, absl::ZeroDuration());
}

}  // namespace
}  // namespace nanoplane::kube
