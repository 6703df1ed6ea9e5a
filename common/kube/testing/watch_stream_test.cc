// WATCH over real HTTP: initial state, replay, 410, bookmarks, selectors,
// timeouts and the server-side end.

#include "common/kube/testing/fake_api_server_test_util.h"
#include "common/testing/net_wait.h"

namespace nanoplane::kube::testing {
namespace {

class WatchTest : public FakeApiServerTest {
 protected:
  FakeApiServerOptions Options() override {
    FakeApiServerOptions options = FakeApiServerTest::Options();
    options.bookmark_interval = absl::Milliseconds(300);
    return options;
  }
};

TEST_F(WatchTest, WithoutResourceVersionStartsWithAddedForEveryObject) {
  CreateUk("a");
  CreateUk("b");
  auto w = Watch(std::string(kUks) + "?watch=1");
  ASSERT_EQ(w->code(), 200);
  auto first = w->Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ((*first)["type"], "ADDED");
  EXPECT_EQ((*first)["object"]["metadata"]["name"], "a");
  EXPECT_EQ((*w->Next())["object"]["metadata"]["name"], "b");
  CreateUk("c");
  auto third = w->Next();
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ((*third)["type"], "ADDED");
  EXPECT_EQ((*third)["object"]["metadata"]["name"], "c");
}

TEST_F(WatchTest, ResourceVersionZeroAlsoSendsTheCurrentState) {
  CreateUk("a");
  auto w = Watch(std::string(kUks) + "?watch=true&resourceVersion=0");
  auto first = w->Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ((*first)["type"], "ADDED");
}

TEST_F(WatchTest, FromAResourceVersionReplaysLaterChangesOnly) {
  Json a = CreateUk("a");
  HttpResult patched = Do("PATCH", std::string(kUks) + "/a", {{"spec", {{"replicas", 1}}}},
                          "application/merge-patch+json");
  ASSERT_EQ(patched.code, 200);
  ASSERT_EQ(Do("DELETE", std::string(kUks) + "/a").code, 200);
  auto w = Watch(std::string(kUks) + "?watch=1&resourceVersion=" + Rv(a));
  auto modified = w->Next();
  ASSERT_TRUE(modified.has_value());
  EXPECT_EQ((*modified)["type"], "MODIFIED");
  EXPECT_EQ(Rv((*modified)["object"]), Rv(patched.json()));
  auto deleted = w->Next();
  ASSERT_TRUE(deleted.has_value());
  EXPECT_EQ((*deleted)["type"], "DELETED");
  // The deleted object carries the deletion's revision, as etcd3's watcher gives it.
  EXPECT_GT(std::stoll(Rv((*deleted)["object"])), std::stoll(Rv(patched.json())));
}

TEST_F(WatchTest, TooOldResourceVersionIs200ThenAnExpiredErrorEvent) {
  Json a = CreateUk("a");
  CreateUk("b");
  server_->Compact();
  auto w = Watch(std::string(kUks) + "?watch=1&resourceVersion=" + Rv(a));
  ASSERT_EQ(w->code(), 200);
  auto error = w->Next();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ((*error)["type"], "ERROR");
  Json status = (*error)["object"];
  EXPECT_EQ(status["code"], 410);
  EXPECT_EQ(status["reason"], "Expired");
  EXPECT_EQ(status["message"], "too old resource version: " + Rv(a) + " (" +
                                   std::to_string(server_->ResourceVersion()) + ")");
  EXPECT_FALSE(w->Next(absl::Seconds(2)).has_value());
  EXPECT_TRUE(w->ended());
}

TEST_F(WatchTest, BookmarksCarryOnlyTheResourceVersionAndTheHookSendsOneNow) {
  Json a = CreateUk("a");
  auto w = Watch(std::string(kUks) + "?watch=1&allowWatchBookmarks=true&resourceVersion=" + Rv(a));
  auto bookmark = w->Next(absl::Seconds(3));
  ASSERT_TRUE(bookmark.has_value());
  EXPECT_EQ((*bookmark)["type"], "BOOKMARK");
  EXPECT_EQ((*bookmark)["object"],
            Json::parse(R"({"kind":"Unikernel","apiVersion":"nanoplane.dev/v1alpha1",
                "metadata":{"resourceVersion":")" + Rv(a) + R"("}})"));
  auto quiet = Watch(std::string(kUks) + "?watch=1&resourceVersion=" + Rv(a));
  EXPECT_FALSE(quiet->Next(absl::Milliseconds(700)).has_value());  // not asked for: none
}

TEST_F(WatchTest, SelectorsTurnChangesIntoAddedAndDeleted) {
  Json a = CreateUk("a");
  auto w = Watch(std::string(kUks) + "?watch=1&labelSelector=tier%3Dfront&resourceVersion=" + Rv(a));
  ASSERT_EQ(Do("PATCH", std::string(kUks) + "/a", {{"metadata", {{"labels", {{"tier", "front"}}}}}},
               "application/merge-patch+json").code,
            200);
  auto added = w->Next();
  ASSERT_TRUE(added.has_value());
  EXPECT_EQ((*added)["type"], "ADDED");
  ASSERT_EQ(Do("PATCH", std::string(kUks) + "/a", {{"metadata", {{"labels", {{"tier", nullptr}}}}}},
               "application/merge-patch+json").code,
            200);
  auto gone = w->Next();
  ASSERT_TRUE(gone.has_value());
  EXPECT_EQ((*gone)["type"], "DELETED");
}

TEST_F(WatchTest, TimeoutSecondsAndTheEndHookEndTheStream) {
  // Bookmarks allowed, but the deadline is under 2 s away: the cacher sends none.
  auto timed = Watch(std::string(kUks) + "?watch=1&timeoutSeconds=1&allowWatchBookmarks=true");
  EXPECT_FALSE(timed->Next(absl::Seconds(3)).has_value());
  EXPECT_TRUE(timed->ended());
  auto w = Watch(std::string(kUks) + "?watch=1");
  ASSERT_TRUE(test_support::WaitFor([&] { return server_->OpenWatches() == 1; }, absl::Seconds(3)));
  server_->EndWatches();
  EXPECT_FALSE(w->Next(absl::Seconds(3)).has_value());
  EXPECT_TRUE(w->ended());
}

}  // namespace
}  // namespace nanoplane::kube::testing
