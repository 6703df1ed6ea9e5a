#pragma once

// What the Store contract suite needs from each implementation: a fresh store
// over a manual clock, with a given watch history. One harness per store.

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/kube/kube_client.h"
#include "common/kube/testing/fake_api_server.h"
#include "controller/adapters/kube_store.h"
#include "controller/adapters/sqlite_store.h"
#include "controller/ports/store.h"
#include "controller/testing/fake_store.h"
#include "gtest/gtest.h"

namespace nanoplane::controller {

// Time stands still unless a test moves it.
struct TestClock {
  absl::Time now = absl::FromUnixSeconds(1700000000);
  std::function<absl::Time()> Function() {
    return [this] { return now; };
  }
};

// A temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "np-store-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class SqliteHarness {
 public:
  static constexpr const char* kName = "Sqlite";
  static constexpr bool kServerClock = false;
  std::unique_ptr<ports::Store> Make(TestClock& clock, int64_t watch_history) {
    // A new file each time: the suite's stores start empty.
    std::string dir = (std::filesystem::path(dir_.path()) / std::to_string(++count_)).string();
    auto store =
        SqliteStore::Open({.data_dir = dir,
                           .watch_history = watch_history,
                           .synchronous_full = false,  // speed; durability has its own test
                           .watch_poll_interval = absl::Milliseconds(20),
                           .now = clock.Function()});
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(store).value() : nullptr;
  }

 private:
  TempDir dir_;
  int count_ = 0;
};

class FakeHarness {
 public:
  static constexpr const char* kName = "Fake";
  static constexpr bool kServerClock = false;
  std::unique_ptr<ports::Store> Make(TestClock& clock, int64_t watch_history) {
    return std::make_unique<FakeStore>(FakeStoreOptions{
        .watch_history = static_cast<size_t>(watch_history), .now = clock.Function()});
  }
};

// KubeStore over the fake API server (FakeApiServer), with the CRDs of crds/
// installed as `kubectl apply -f crds/` would, and the namespaces the suite
// uses. The server keeps its own clock, as a real one does.
class KubeHarness {
 public:
  static constexpr const char* kName = "Kube";
  static constexpr bool kServerClock = true;
  std::unique_ptr<ports::Store> Make(TestClock& clock, int64_t watch_history) {
    server_ = std::make_unique<kube::testing::FakeApiServer>(kube::testing::FakeApiServerOptions{
        .tokens = {{"admin-token", {.name = "admin", .groups = {"system:masters"}}}},
        .crd_files = {NP_SOURCE_DIR "/crds/unikernels.nanoplane.dev.yaml",
                      NP_SOURCE_DIR "/crds/hosts.nanoplane.dev.yaml"},
        .watch_history = static_cast<size_t>(watch_history)});
    absl::StatusOr<std::string> url = server_->Start();
    EXPECT_TRUE(url.ok()) << url.status();
    for (const char* ns : {"prod", "nanoplane-system"}) {
      EXPECT_TRUE(
          server_
              ->CreateObject(
                  {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}})
              .ok());
    }
    auto client = kube::KubeClient::New({.server = url.value_or(""), .token = "admin-token"},
                                        {.qps = 0, .max_attempts = 1});
    EXPECT_TRUE(client.ok()) << client.status();
    client_ = std::move(client).value();
    index_ = std::make_unique<FakeStore>(FakeStoreOptions{.now = clock.Function()});
    return std::make_unique<KubeStore>(*client_, index_.get(),
                                       KubeStoreOptions{.now = clock.Function()});
  }
  kube::testing::FakeApiServer& server() { return *server_; }

 private:
  std::unique_ptr<kube::testing::FakeApiServer> server_;
  std::unique_ptr<kube::KubeClient> client_;
  std::unique_ptr<FakeStore> index_;
};

struct HarnessNames {
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};

using StoreHarnesses = ::testing::Types<SqliteHarness, FakeHarness, KubeHarness>;

// A small valid Unikernel.
inline v1alpha1::Unikernel MakeUnikernel(const std::string& name, int replicas = 1,
                                         const std::string& ns = "default") {
  v1alpha1::Unikernel object;
  object.set_api_version("nanoplane.dev/v1alpha1");
  object.set_kind("Unikernel");
  object.mutable_metadata()->set_name(name);
  object.mutable_metadata()->set_namespace_(ns);
  object.mutable_spec()->set_replicas(replicas);
  object.mutable_spec()->mutable_template_()->mutable_image()->set_program("/bin/web");
  return object;
}

template <typename Harness>
class StoreContractTest : public ::testing::Test {
 protected:
  // A time the store sets: the test clock's, unless the store's clock is its
  // server's (a Kubernetes API server's), which the test cannot move.
  void ExpectStoreTime(const std::string& actual, const std::string& at_test_clock) {
    if (Harness::kServerClock) {
      EXPECT_FALSE(actual.empty());
    } else {
      EXPECT_EQ(actual, at_test_clock);
    }
  }

  void SetUp() override { store_ = harness_.Make(clock_, 1000); }
  void Remake(int64_t watch_history) { store_ = harness_.Make(clock_, watch_history); }

  v1alpha1::Unikernel MustCreate(const v1alpha1::Unikernel& object) {
    absl::StatusOr<v1alpha1::Unikernel> created = store_->Create(object);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.value_or(object);
  }

  Harness harness_;
  TestClock clock_;
  std::unique_ptr<ports::Store> store_;
};

}  // namespace nanoplane::controller
