// The client against a real API server, when NP_TEST_KUBECONFIG names a
// kubeconfig for one (skipped otherwise). Works in a namespace it creates and
// deletes, so it can run against any cluster it is allowed to write to.

#include <unistd.h>

#include <cstdlib>

#include "common/kube/api_status.h"
#include "common/kube/kube_client.h"
#include "common/kube/resource_path.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nanoplane::kube {
namespace {

using ::testing::HasSubstr;

class RealServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* path = std::getenv("NP_TEST_KUBECONFIG");
    if (path == nullptr || *path == '\0') {
      GTEST_SKIP() << "NP_TEST_KUBECONFIG is not set: no real API server to test against";
    }
    auto config = LoadKubeConfig({.kubeconfig = path});
    ASSERT_TRUE(config.ok()) << config.status();
    auto client = KubeClient::New(*config);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    // One namespace per test: without a namespace controller (a bare API
    // server), a deleted namespace stays Terminating for good.
    static int tests = 0;
    namespace_ = "np-kube-test-" + std::to_string(::getpid()) + "-" + std::to_string(++tests);
    auto created = client_->Create(ResourcePath({.resource = "namespaces"}),
                                   {{"apiVersion", "v1"}, {"kind", "Namespace"},
                                    {"metadata", {{"name", namespace_}}}});
    ASSERT_TRUE(created.ok()) << created.status();
  }
  void TearDown() override {
    if (client_ != nullptr) {
      (void)client_->Delete(ResourcePath({.resource = "namespaces", .name = namespace_}));
    }
  }
  std::string ConfigMaps(const std::string& name = "") const {
    return ResourcePath({.resource = "configmaps", .namespace_name = namespace_, .name = name});
  }

  std::unique_ptr<KubeClient> client_;
  std::string namespace_;
};

TEST_F(RealServerTest, ListsNamespaces) {
  auto list = client_->Get(ResourcePath({.resource = "namespaces"}));
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ((*list)["kind"], "NamespaceList");
  EXPECT_FALSE((*list)["items"].empty());
}

TEST_F(RealServerTest, ConfigMapLifecycleWithAWatch) {
  Json map = {{"apiVersion", "v1"}, {"kind", "ConfigMap"},
              {"metadata", {{"name", "np"}}}, {"data", {{"k", "1"}}}};
  auto created = client_->Create(ConfigMaps(), map);
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string rv = (*created)["metadata"]["resourceVersion"];

  auto again = client_->Create(ConfigMaps(), map);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists) << again.status();
  EXPECT_EQ(ApiStatusOf(again.status())->reason, "AlreadyExists");

  auto watch = client_->Watch(ConfigMaps(), {{"resourceVersion", rv}});
  ASSERT_TRUE(watch.ok()) << watch.status();

  Json changed = *created;
  changed["data"]["k"] = "2";
  auto updated = client_->Update(ConfigMaps("np"), changed);
  ASSERT_TRUE(updated.ok()) << updated.status();
  // The same stale resourceVersion again: a conflict.
  auto stale = client_->Update(ConfigMaps("np"), changed);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted) << stale.status();

  auto patched = client_->Patch(ConfigMaps("np"), kMergePatch, R"({"data":{"k":"3"}})");
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ((*patched)["data"]["k"], "3");

  std::vector<WatchEvent> events;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (events.size() < 2 && absl::Now() < deadline) {
    auto next = (*watch)->Next(deadline);
    ASSERT_TRUE(next.ok()) << next.status();
    events.insert(events.end(), next->begin(), next->end());
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "MODIFIED");
  EXPECT_EQ(events[1].object["data"]["k"], "3");

  ASSERT_TRUE(client_->Delete(ConfigMaps("np")).ok());
  auto gone = client_->Get(ConfigMaps("np"));
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(gone.status().message(), HasSubstr("configmaps \"np\" not found"));
}

TEST_F(RealServerTest, InvalidObjectNamesTheField) {
  Json bad = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "Not_Valid"}}}};
  auto created = client_->Create(ConfigMaps(), bad);
  EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument) << created.status();
  EXPECT_THAT(created.status().message(), HasSubstr("metadata.name"));
}

TEST_F(RealServerTest, UnknownResourceSaysSo) {
  auto got = client_->Get(ResourcePath({.group = "nanoplane.dev", .version = "v1alpha1",
                                        .resource = "nosuchthings", .namespace_name = namespace_}));
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound) << got.status();
  EXPECT_THAT(got.status().message(), HasSubstr("the server has no resource nosuchthings.nanoplane.dev"));
}

TEST_F(RealServerTest, TheServerEndsAWatchAtItsTimeout) {
  auto watch = client_->Watch(ConfigMaps(), {{"timeoutSeconds", "1"}});
  ASSERT_TRUE(watch.ok()) << watch.status();
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  absl::StatusOr<std::vector<WatchEvent>> next;
  do {
    next = (*watch)->Next(deadline);  // the namespace's kube-root-ca.crt may come first
  } while (next.ok() && absl::Now() < deadline);
  EXPECT_TRUE(IsWatchEnded(next.status())) << next.status();
}

TEST_F(RealServerTest, TooOldWatchIsOutOfRange) {
  auto watch = client_->Watch(ConfigMaps(), {{"resourceVersion", "1"}});
  ASSERT_TRUE(watch.ok()) << watch.status();
  auto next = (*watch)->Next(absl::Now() + absl::Seconds(10));
  // A young cluster may still hold version 1; then nothing arrives.
  if (!next.ok()) {
    EXPECT_EQ(next.status().code(), absl::StatusCode::kOutOfRange) << next.status();
  }
}

TEST_F(RealServerTest, UnikernelsWhenTheCrdIsInstalled) {
  auto list = client_->Get(ResourcePath({.group = "nanoplane.dev", .version = "v1alpha1",
                                         .resource = "unikernels", .namespace_name = namespace_}));
  if (!list.ok()) {
    EXPECT_THAT(list.status().message(), HasSubstr("install crds/")) << list.status();
    GTEST_SKIP() << list.status();
  }
  EXPECT_EQ((*list)["kind"], "UnikernelList");
}

}  // namespace
}  // namespace nanoplane::kube
