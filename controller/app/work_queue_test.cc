#include "controller/app/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>

namespace nanoplane::controller::app {
namespace {

TEST(WorkQueueTest, DeduplicatesKeysWaitingToBeProcessed) {
  WorkQueue queue;
  queue.Add("a");
  queue.Add("b");
  queue.Add("a");
  EXPECT_EQ(queue.Len(), 2u);
  EXPECT_EQ(queue.Get(), "a");
  EXPECT_EQ(queue.Get(), "b");
  EXPECT_EQ(queue.Len(), 0u);
}

TEST(WorkQueueTest, AKeyAddedWhileInFlightIsProcessedAgainAfterDone) {
  WorkQueue queue;
  queue.Add("a");
  ASSERT_EQ(queue.Get(), "a");
  queue.Add("a");
  queue.Add("a");
  EXPECT_EQ(queue.Len(), 0u) << "no second worker may get a key in flight";
  queue.Done("a");
  EXPECT_EQ(queue.Len(), 1u);
  EXPECT_EQ(queue.Get(), "a");
  queue.Done("a");
  EXPECT_EQ(queue.Len(), 0u);
}

TEST(WorkQueueTest, AddAfterQueuesOnceTheDelayHasPassedAndTheEarliestWins) {
  WorkQueue queue;
  queue.AddAfter("a", absl::Seconds(30));
  queue.AddAfter("a", absl::Milliseconds(20));
  queue.AddAfter("a", absl::Seconds(60));
  EXPECT_EQ(queue.Len(), 0u);
  EXPECT_EQ(queue.NumWaiting(), 1u);
  absl::Time start = absl::Now();
  EXPECT_EQ(queue.Get(), "a");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(15));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(WorkQueueTest, RateLimitedRetriesBackOffExponentiallyUntilForget) {
  WorkQueue queue({.base_delay = absl::Milliseconds(10), .max_delay = absl::Milliseconds(40)});
  std::vector<absl::Duration> delays;
  for (int i = 0; i < 4; ++i) {
    absl::Time start = absl::Now();
    queue.AddRateLimited("a");
    ASSERT_EQ(queue.Get(), "a");
    delays.push_back(absl::Now() - start);
    queue.Done("a");
  }
  EXPECT_EQ(queue.NumRequeues("a"), 4);
  EXPECT_GE(delays[0], absl::Milliseconds(9));
  EXPECT_GE(delays[1], absl::Milliseconds(19));
  EXPECT_GE(delays[2], absl::Milliseconds(39));
  EXPECT_LT(delays[3], absl::Milliseconds(200)) << "capped at max_delay";
  queue.Forget("a");
  EXPECT_EQ(queue.NumRequeues("a"), 0);
}

TEST(WorkQueueTest, WorkersNeverProcessOneKeyConcurrentlyAndRetryErrors) {
  WorkQueue queue({.base_delay = absl::Milliseconds(1)});
  std::mutex mutex;
  std::map<std::string, int> in_flight, runs;
  std::atomic<bool> overlap{false};
  queue.Start(4, [&](const std::string& key) -> absl::Status {
    {
      std::lock_guard<std::mutex> guard(mutex);
      overlap = overlap || in_flight[key]++ > 0;
      ++runs[key];
    }
    absl::SleepFor(absl::Milliseconds(2));
    std::lock_guard<std::mutex> guard(mutex);
    --in_flight[key];
    // "flaky" fails its first two passes.
    return key == "flaky" && runs[key] <= 2 ? absl::UnavailableError("try again")
                                            : absl::OkStatus();
  });
  for (int round = 0; round < 20; ++round) {
    for (const char* key : {"a", "b", "c", "flaky"}) {
      queue.Add(key);
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (absl::Now() < deadline && (queue.Len() > 0 || queue.NumWaiting() > 0)) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  queue.ShutDown();
  EXPECT_FALSE(overlap);
  std::lock_guard<std::mutex> guard(mutex);
  EXPECT_GE(runs["flaky"], 3);
  EXPECT_EQ(queue.NumRequeues("flaky"), 0) << "success forgets the failures";
  for (const char* key : {"a", "b", "c"}) {
    EXPECT_GE(runs[key], 1);
    EXPECT_LE(runs[key], 20) << "adds while queued are deduplicated";
  }
}

// A terminal error is not retried: only a change (an Add) runs the key again.
TEST(WorkQueueTest, TerminalErrorsWaitForTheNextAddTransientOnesAreRetried) {
  WorkQueue queue({.base_delay = absl::Milliseconds(1)});
  std::mutex mutex;
  std::map<std::string, int> runs;
  queue.Start(2, [&](const std::string& key) -> absl::Status {
    std::lock_guard<std::mutex> guard(mutex);
    ++runs[key];
    if (key == "invalid") {
      return absl::InvalidArgumentError("spec.replicas: must be >= 0");
    }
    if (key == "unbuildable") {
      return absl::FailedPreconditionError("cannot be built");
    }
    return runs[key] <= 3 ? absl::UnavailableError("store busy") : absl::OkStatus();
  });
  for (const char* key : {"invalid", "unbuildable", "busy"}) {
    queue.Add(key);
  }
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  auto runs_of = [&](const std::string& key) {
    std::lock_guard<std::mutex> guard(mutex);
    return runs[key];
  };
  while (absl::Now() < deadline && runs_of("busy") < 4) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  absl::SleepFor(absl::Milliseconds(50));  // time for retries that must not come
  EXPECT_EQ(runs_of("busy"), 4) << "three transient failures, then success";
  EXPECT_EQ(runs_of("invalid"), 1);
  EXPECT_EQ(runs_of("unbuildable"), 1);
  EXPECT_EQ(queue.NumRequeues("invalid"), 0);
  queue.Add("invalid");  // the object changed
  while (absl::Now() < deadline && runs_of("invalid") < 2) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(runs_of("invalid"), 2);
  queue.ShutDown();
}

TEST(WorkQueueTest, ShutDownWakesBlockedWorkersAndDropsLaterAdds) {
  WorkQueue queue;
  std::atomic<int> runs{0};
  queue.Start(2, [&](const std::string&) {
    ++runs;
    return absl::OkStatus();
  });
  absl::SleepFor(absl::Milliseconds(10));
  queue.ShutDown();  // returns only when the idle workers have been joined
  queue.Add("a");
  queue.AddAfter("b", absl::Milliseconds(1));
  EXPECT_EQ(queue.Len(), 0u);
  EXPECT_EQ(queue.Get(), std::nullopt);
  EXPECT_EQ(runs, 0);
  queue.ShutDown();  // idempotent
}

}  // namespace
}  // namespace nanoplane::controller::app
