// The Store contract for Watch, run against every implementation.

#include <thread>

#include "controller/testing/store_test_harness.h"

namespace nanoplane::controller {
namespace {

using ports::WatchEvent;
using ports::WatchEventType;
using v1alpha1::Unikernel;

template <typename Harness>
class StoreWatchTest : public StoreContractTest<Harness> {
 protected:
  std::unique_ptr<ports::Watcher> MustWatch(const ports::WatchOptions& options) {
    absl::StatusOr<std::unique_ptr<ports::Watcher>> watcher = this->store_->Watch(options);
    EXPECT_TRUE(watcher.ok()) << watcher.status();
    return watcher.ok() ? std::move(watcher).value() : nullptr;
  }

  // Reads until `count` events arrived (or 5 s passed).
  std::vector<WatchEvent> Drain(ports::Watcher& watcher, size_t count) {
    std::vector<WatchEvent> out;
    absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (out.size() < count && absl::Now() < deadline) {
      absl::StatusOr<std::vector<WatchEvent>> events = watcher.Next(deadline);
      EXPECT_TRUE(events.ok()) << events.status();
      if (!events.ok()) {
        break;
      }
      out.insert(out.end(), events->begin(), events->end());
    }
    return out;
  }

  std::string ListVersion() {
    absl::StatusOr<ports::UnikernelList> list = this->store_->List({});
    EXPECT_TRUE(list.ok());
    return list.ok() ? list->resource_version : "";
  }

  // Create, spec update, status update, delete of one object.
  void Lifecycle(const std::string& name) {
    Unikernel object = this->MustCreate(MakeUnikernel(name));
    object.mutable_spec()->set_replicas(2);
    object = this->store_->Update(object).value();
    object.mutable_status()->set_replicas(2);
    object = this->store_->UpdateStatus(object).value();
    ASSERT_TRUE(this->store_->Delete(KeyOf(object), {}).ok());
  }
};

TYPED_TEST_SUITE(StoreWatchTest, StoreHarnesses, HarnessNames);

std::vector<WatchEventType> Types(const std::vector<WatchEvent>& events) {
  std::vector<WatchEventType> types;
  for (const WatchEvent& event : events) {
    types.push_back(event.type);
  }
  return types;
}

TYPED_TEST(StoreWatchTest, DeliversEveryChangeInOrder) {
  this->MustCreate(MakeUnikernel("before"));
  auto watcher = this->MustWatch({.resource_version = this->ListVersion()});
  this->Lifecycle("web");
  std::vector<WatchEvent> events = this->Drain(*watcher, 4);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(Types(events),
            (std::vector<WatchEventType>{WatchEventType::kAdded, WatchEventType::kModified,
                                         WatchEventType::kModified, WatchEventType::kDeleted}));
  EXPECT_EQ(events[1].object.spec().replicas(), 2);
  EXPECT_EQ(events[2].object.status().replicas(), 2);
  EXPECT_EQ(events[3].object.metadata().name(), "web");
  EXPECT_EQ(watcher->resource_version(), events[3].object.metadata().resource_version());
  // Versions grow: the in-process stores use a counter (the port keeps them opaque).
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_LT(std::stoll(events[i - 1].object.metadata().resource_version()),
              std::stoll(events[i].object.metadata().resource_version()));
  }
}

TYPED_TEST(StoreWatchTest, ResumesAfterTheLastEventSeen) {
  std::string start = this->ListVersion();
  this->Lifecycle("web");
  auto first = this->MustWatch({.resource_version = start});
  std::vector<WatchEvent> all = this->Drain(*first, 4);
  ASSERT_EQ(all.size(), 4u);
  auto resumed = this->MustWatch({.resource_version = all[1].object.metadata().resource_version()});
  std::vector<WatchEvent> rest = this->Drain(*resumed, 2);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].object.metadata().resource_version(),
            all[2].object.metadata().resource_version());
  EXPECT_EQ(rest[1].type, WatchEventType::kDeleted);
}

TYPED_TEST(StoreWatchTest, WithoutAVersionStartsNowAndTimesOutEmpty) {
  this->MustCreate(MakeUnikernel("old"));
  auto watcher = this->MustWatch({});
  absl::StatusOr<std::vector<WatchEvent>> none =
      watcher->Next(absl::Now() + absl::Milliseconds(50));
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
  this->MustCreate(MakeUnikernel("new"));
  std::vector<WatchEvent> events = this->Drain(*watcher, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].object.metadata().name(), "new");
}

TYPED_TEST(StoreWatchTest, FiltersByNamespace) {
  auto watcher = this->MustWatch({.resource_version = this->ListVersion(), .ns = "prod"});
  this->MustCreate(MakeUnikernel("a"));
  this->MustCreate(MakeUnikernel("b", 1, "prod"));
  std::vector<WatchEvent> events = this->Drain(*watcher, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].object.metadata().namespace_(), "prod");
}

TYPED_TEST(StoreWatchTest, AVersionOlderThanTheHistoryIsGone) {
  this->Remake(/*watch_history=*/3);
  std::string start = this->ListVersion();
  this->Lifecycle("web");  // 4 changes: the first is no longer kept
  // OutOfRange from Watch itself, or (as a Kubernetes API server answers, with
  // a 410 ERROR event on an accepted watch) from its first Next.
  absl::StatusOr<std::unique_ptr<ports::Watcher>> old =
      this->store_->Watch({.resource_version = start});
  absl::Status gone = old.status();
  if (old.ok()) {
    gone = (*old)->Next(absl::Now() + absl::Seconds(5)).status();
  }
  EXPECT_EQ(gone.code(), absl::StatusCode::kOutOfRange) << gone;
  absl::StatusOr<ports::UnikernelList> list = this->store_->List({});
  ASSERT_TRUE(list.ok());
  auto relisted = this->MustWatch({.resource_version = list->resource_version});
  this->MustCreate(MakeUnikernel("after"));
  EXPECT_EQ(this->Drain(*relisted, 1).size(), 1u);
}

TYPED_TEST(StoreWatchTest, AWatcherThatFallsBehindTheHistoryIsGone) {
  this->Remake(/*watch_history=*/3);
  auto watcher = this->MustWatch({.resource_version = this->ListVersion()});
  this->Lifecycle("web");
  // Either it kept up and delivers every change (a Kubernetes API server
  // pushes them to an open watch), or it fails with OutOfRange: it never
  // skips one silently.
  std::vector<WatchEvent> delivered;
  absl::Status end;
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (end.ok() && delivered.size() < 4 && absl::Now() < deadline) {
    absl::StatusOr<std::vector<WatchEvent>> events = watcher->Next(deadline);
    end = events.status();
    if (events.ok()) {
      delivered.insert(delivered.end(), events->begin(), events->end());
    }
  }
  if (end.ok()) {
    EXPECT_EQ(Types(delivered),
              (std::vector<WatchEventType>{WatchEventType::kAdded, WatchEventType::kModified,
                                           WatchEventType::kModified, WatchEventType::kDeleted}));
  } else {
    EXPECT_EQ(end.code(), absl::StatusCode::kOutOfRange) << end;
  }
}

TYPED_TEST(StoreWatchTest, RejectsAVersionItDidNotMake) {
  EXPECT_EQ(this->store_->Watch({.resource_version = "abc"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TYPED_TEST(StoreWatchTest, AWriteFromAnotherThreadWakesABlockedNext) {
  auto watcher = this->MustWatch({});
  std::thread writer([this] {
    absl::SleepFor(absl::Milliseconds(50));
    this->MustCreate(MakeUnikernel("web"));
  });
  absl::Time start = absl::Now();
  absl::StatusOr<std::vector<WatchEvent>> events = watcher->Next(start + absl::Seconds(30));
  writer.join();
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(events->size(), 1u);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TYPED_TEST(StoreWatchTest, StopWakesABlockedNextWithCancelled) {
  auto watcher = this->MustWatch({});
  std::thread stopper([&watcher] {
    absl::SleepFor(absl::Milliseconds(50));
    watcher->Stop();
  });
  absl::StatusOr<std::vector<WatchEvent>> events = watcher->Next(absl::InfiniteFuture());
  stopper.join();
  EXPECT_EQ(events.status().code(), absl::StatusCode::kCancelled);
}

TYPED_TEST(StoreWatchTest, ANoOpWriteMakesNoEvent) {
  Unikernel object = this->MustCreate(MakeUnikernel("web"));
  auto watcher = this->MustWatch({.resource_version = object.metadata().resource_version()});
  ASSERT_TRUE(this->store_->Update(object).ok());
  ASSERT_TRUE(this->store_->UpdateStatus(object).ok());
  absl::StatusOr<std::vector<WatchEvent>> events =
      watcher->Next(absl::Now() + absl::Milliseconds(100));
  ASSERT_TRUE(events.ok());
  EXPECT_TRUE(events->empty());
}

}  // namespace
}  // namespace nanoplane::controller
