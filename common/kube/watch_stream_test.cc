#include "common/kube/watch_stream.h"

#include <deque>

#include "absl/synchronization/mutex.h"
#include "common/kube/test_status_bodies.h"
#include "gtest/gtest.h"

namespace nanoplane::kube {
namespace {

// A body fed by the test: each Feed() is what one read returns.
struct FakeBody {
  absl::Mutex mu;
  std::deque<absl::StatusOr<std::string>> reads ABSL_GUARDED_BY(mu);
  bool cancelled ABSL_GUARDED_BY(mu) = false;

  void Feed(absl::StatusOr<std::string> read) {
    absl::MutexLock lock(&mu);
    reads.push_back(std::move(read));
  }
  WatchStream::Body Body() {
    return {.read =
                [this]() -> absl::StatusOr<std::string> {
                  absl::MutexLock lock(&mu);
                  auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu) {
                    return !reads.empty() || cancelled;
                  };
                  mu.Await(absl::Condition(&ready));
                  if (reads.empty()) {
                    return absl::CancelledError("cancelled");
                  }
                  auto read = std::move(reads.front());
                  reads.pop_front();
                  return read;
                },
            .cancel =
                [this] {
                  absl::MutexLock lock(&mu);
                  cancelled = true;
                }};
  }
};

const RequestInfo kInfo{.method = "GET", .path = "/api/v1/configmaps", .server = "http://x"};

std::string Event(const std::string& type, const std::string& name) {
  return R"({"type":")" + type + R"(","object":{"kind":"ConfigMap","metadata":{"name":")" + name +
         R"("}}})" "\n";
}

absl::Time Soon() { return absl::Now() + absl::Seconds(5); }

TEST(WatchStreamTest, EventsSplitAcrossReads) {
  FakeBody body;
  WatchStream stream(body.Body(), kInfo);
  std::string both = Event("ADDED", "a") + Event("MODIFIED", "b");
  body.Feed(both.substr(0, 10));
  body.Feed(both.substr(10));
  std::vector<WatchEvent> events;
  while (events.size() < 2) {
    auto next = stream.Next(Soon());
    ASSERT_TRUE(next.ok()) << next.status();
    events.insert(events.end(), next->begin(), next->end());
  }
  EXPECT_EQ(events[0].type, "ADDED");
  EXPECT_EQ(events[1].object["metadata"]["name"], "b");
}

TEST(WatchStreamTest, DeadlineWithNothingIsOkAndEmpty) {
  FakeBody body;
  WatchStream stream(body.Body(), kInfo);
  auto next = stream.Next(absl::Now() + absl::Milliseconds(20));
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE(next->empty());
}

TEST(WatchStreamTest, CleanEndAfterTheEvents) {
  FakeBody body;
  body.Feed(Event("ADDED", "a"));
  body.Feed(std::string());
  WatchStream stream(body.Body(), kInfo);
  absl::SleepFor(absl::Milliseconds(50));
  auto first = stream.Next(Soon());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->size(), 1u);
  auto end = stream.Next(Soon());
  EXPECT_EQ(end.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(IsWatchEnded(end.status()));
  EXPECT_EQ(stream.Next(Soon()).status(), end.status());  // and stays ended
}

TEST(WatchStreamTest, BrokenConnectionIsNotAnEnd) {
  FakeBody body;
  body.Feed(absl::UnavailableError("reset"));
  WatchStream stream(body.Body(), kInfo);
  auto end = stream.Next(Soon());
  EXPECT_EQ(end.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(IsWatchEnded(end.status()));
}

TEST(WatchStreamTest, ErrorEventWith410IsOutOfRange) {
  FakeBody body;
  body.Feed(std::string(R"({"type":"ERROR","object":)") + test::kGone + "}\n");
  WatchStream stream(body.Body(), kInfo);
  absl::Status end = stream.Next(Soon()).status();
  EXPECT_EQ(end.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(end.message(), "too old resource version: 1 (1234)");
}

TEST(WatchStreamTest, GarbageLineIsInternal) {
  FakeBody body;
  body.Feed("not json\n");
  WatchStream stream(body.Body(), kInfo);
  EXPECT_EQ(stream.Next(Soon()).status().code(), absl::StatusCode::kInternal);
}

TEST(WatchStreamTest, StopEndsABlockedNext) {
  FakeBody body;
  WatchStream stream(body.Body(), kInfo);
  std::thread stopper([&] {
    absl::SleepFor(absl::Milliseconds(50));
    stream.Stop();
  });
  absl::Time start = absl::Now();
  auto next = stream.Next(absl::Now() + absl::Seconds(30));
  stopper.join();
  EXPECT_EQ(next.status().code(), absl::StatusCode::kCancelled);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(WatchStreamTest, DecodeWatchEventChecksTheShape) {
  EXPECT_TRUE(DecodeWatchEvent(R"({"type":"BOOKMARK","object":{"metadata":{}}})").ok());
  EXPECT_FALSE(DecodeWatchEvent(R"({"type":1,"object":{}})").ok());
  EXPECT_FALSE(DecodeWatchEvent(R"({"type":"ADDED"})").ok());
  EXPECT_FALSE(DecodeWatchEvent("[]").ok());
}

}  // namespace
}  // namespace nanoplane::kube
