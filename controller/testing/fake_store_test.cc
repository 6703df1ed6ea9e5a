// FakeStore's own behaviour: failure injection and call counts.

#include "controller/testing/fake_store.h"

#include "controller/testing/store_test_harness.h"
#include "gtest/gtest.h"

namespace nanoplane::controller {
namespace {

TEST(FakeStoreTest, FailNextFailsThatOperationOnlyAndChangesNothing) {
  FakeStore store;
  store.FailNext(StoreOp::kCreate, absl::UnavailableError("injected"), 2);
  EXPECT_EQ(store.Create(MakeUnikernel("web")).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store.Create(MakeUnikernel("web")).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store.Get({.name = "web"}).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store.Create(MakeUnikernel("web")).ok());
  EXPECT_EQ(store.Calls(StoreOp::kCreate), 3);
  EXPECT_EQ(store.Calls(StoreOp::kGet), 1);
}

TEST(FakeStoreTest, InjectedConflictOnStatusWrite) {
  FakeStore store;
  v1alpha1::Unikernel object = store.Create(MakeUnikernel("web")).value();
  store.FailNext(StoreOp::kUpdateStatus, absl::AbortedError("conflict: injected"));
  object.mutable_status()->set_replicas(1);
  EXPECT_EQ(store.UpdateStatus(object).status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(store.Get({.name = "web"})->status().replicas(), 0);
  EXPECT_TRUE(store.UpdateStatus(object).ok());
}

TEST(FakeStoreTest, InjectedWatchFailureAndExpiredHistory) {
  FakeStore store;
  auto watcher = store.Watch({.resource_version = "0"}).value();
  store.FailNext(StoreOp::kWatchNext, absl::UnavailableError("connection reset"));
  EXPECT_EQ(watcher->Next(absl::Now()).status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(store.Create(MakeUnikernel("web")).ok());
  store.ExpireHistory();
  EXPECT_EQ(watcher->Next(absl::Now()).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(store.Watch({.resource_version = "0"}).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(store.Watch({.resource_version = "1"}).ok());
}

TEST(FakeStoreTest, ClearFailures) {
  FakeStore store;
  store.FailNext(StoreOp::kListHosts, absl::InternalError("x"), 5);
  store.ClearFailures();
  EXPECT_TRUE(store.ListHosts().ok());
}

}  // namespace
}  // namespace nanoplane::controller
