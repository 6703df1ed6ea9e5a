// LeaderElector over FakeStore's lease, on short real times.

#include "controller/app/leader_elector.h"

#include <gtest/gtest.h>

#include <atomic>

#include "common/testing/net_wait.h"
#include "controller/testing/fake_store.h"

namespace nanoplane::controller::app {
namespace {

using test_support::WaitFor;

// A candidate's view of the shared store that can be cut off from it.
class PartitionedStore : public FakeStore {
 public:
  explicit PartitionedStore(FakeStore& shared) : shared_(shared) {}
  void Cut() { cut_ = true; }
  // Calls hang for `hang` and then fail, as against a stopped API server.
  void Hang(absl::Duration hang) {
    hang_ms_ = absl::ToInt64Milliseconds(hang);
    cut_ = true;
  }

  absl::StatusOr<ports::LeaseRecord> AcquireLease(const std::string& name,
                                                  const std::string& holder,
                                                  absl::Duration duration) override {
    if (cut_) {
      absl::SleepFor(absl::Milliseconds(hang_ms_.load()));
      return absl::UnavailableError("the API server cannot be reached");
    }
    return shared_.AcquireLease(name, holder, duration);
  }
  absl::Status ReleaseLease(const std::string& name, const std::string& holder) override {
    if (cut_) {
      return absl::UnavailableError("the API server cannot be reached");
    }
    return shared_.ReleaseLease(name, holder);
  }

 private:
  FakeStore& shared_;
  std::atomic<bool> cut_{false};
  std::atomic<int64_t> hang_ms_{0};
};

LeaderElectorOptions Fast(const std::string& identity) {
  return {.identity = identity,
          .lease_duration = absl::Milliseconds(600),
          .renew_deadline = absl::Milliseconds(400),
          .retry_period = absl::Milliseconds(50)};
}

struct Candidate {
  Candidate(ports::Store& store, const std::string& identity) : elector(store, Fast(identity)) {
    elector.Start(
        [this] {
          started_at = absl::Now();
          started = true;
        },
        [this] {
          stopped_at = absl::Now();
          stopped = true;
        });
  }
  LeaderElector elector;
  std::atomic<bool> started{false};
  std::atomic<bool> stopped{false};
  absl::Time started_at = absl::InfinitePast();
  absl::Time stopped_at = absl::InfinitePast();
};

TEST(LeaderElectorTest, OneLeadsAndAStoppedLeaderHandsOverAtOnce) {
  FakeStore store;
  auto a = std::make_unique<Candidate>(store, "a");
  ASSERT_TRUE(WaitFor([&] { return a->started.load(); }, absl::Seconds(5)));
  Candidate b(store, "b");
  absl::SleepFor(absl::Milliseconds(800));  // longer than the lease: a keeps renewing
  EXPECT_TRUE(a->elector.leading());
  EXPECT_FALSE(b.started);
  absl::Time stop = absl::Now();
  a.reset();  // Stop: steps down and releases the lease
  ASSERT_TRUE(WaitFor([&] { return b.started.load(); }, absl::Seconds(5)));
  EXPECT_LT(b.started_at - stop, absl::Milliseconds(400)) << "released, not left to expire";
}

TEST(LeaderElectorTest, ALeaderThatCannotRenewStopsBeforeAnotherCanStart) {
  FakeStore shared;
  PartitionedStore a_view(shared);
  Candidate a(a_view, "a");
  ASSERT_TRUE(WaitFor([&] { return a.started.load(); }, absl::Seconds(5)));
  Candidate b(shared, "b");
  absl::Time cut = absl::Now();
  a_view.Cut();
  ASSERT_TRUE(WaitFor([&] { return a.stopped.load(); }, absl::Seconds(5)));
  EXPECT_FALSE(a.elector.leading());
  EXPECT_LT(a.stopped_at - cut, absl::Milliseconds(400 + 50 + 100));
  ASSERT_TRUE(WaitFor([&] { return b.started.load(); }, absl::Seconds(5)));
  EXPECT_LT(a.stopped_at, b.started_at) << "two leaders at once";
  EXPECT_GE(b.started_at - cut, absl::Milliseconds(600) - absl::Milliseconds(60))
      << "b waited for a's last renewal to expire";
}

TEST(LeaderElectorTest, ARenewalThatHangsCountsAsFailedAtTheDeadline) {
  FakeStore shared;
  PartitionedStore a_view(shared);
  Candidate a(a_view, "a");
  ASSERT_TRUE(WaitFor([&] { return a.started.load(); }, absl::Seconds(5)));
  Candidate b(shared, "b");
  absl::Time cut = absl::Now();
  a_view.Hang(absl::Seconds(2));  // longer than the lease
  ASSERT_TRUE(WaitFor([&] { return a.stopped.load(); }, absl::Seconds(5)));
  EXPECT_LT(a.stopped_at - cut, absl::Milliseconds(400 + 50 + 100)) << "waited for the hung call";
  ASSERT_TRUE(WaitFor([&] { return b.started.load(); }, absl::Seconds(5)));
  EXPECT_LT(a.stopped_at, b.started_at) << "two leaders at once";
}

}  // namespace
}  // namespace nanoplane::controller::app
