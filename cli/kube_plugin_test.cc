// The nanoplane binary as kubectl-nanoplane, as a process, against the fake
// API server: the rollout verbs and get instances through the user's
// kubeconfig, with no controller anywhere; apply's uploads and logs through a
// controller's API (as --controller, the end of a port-forward).

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/codec.h"
#include "common/defaults.h"
#include "common/kube/kube_client.h"
#include "common/kube/testing/fake_api_server.h"
#include "common/sha256.h"
#include "controller/adapters/kube_store.h"
#include "controller/adapters/sqlite_store.h"
#include "controller/api/test_server.h"
#include "controller/application/rollout.h"
#include "controller/testing/store_test_harness.h"
#include "gtest/gtest.h"

namespace nanoplane::cli {
namespace {

namespace fs = std::filesystem;
namespace pb = ::nanoplane::v1alpha1;

struct Result {
  int code;
  std::string output;
};

// Defaulted, as the API server stores it and the controller hashes it.
pb::UnikernelTemplate Template(const std::string& arg) {
  pb::Unikernel object = controller::MakeUnikernel("web", 2);
  object.mutable_spec()->mutable_template_()->mutable_image()->add_args(arg);
  DefaultUnikernel(object);
  return object.spec().template_();
}

class KubePluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<kube::testing::FakeApiServer>(kube::testing::FakeApiServerOptions{
        .tokens = {{"user-token", {.name = "dev", .groups = {"system:masters"}}}},
        .crd_files = {NP_SOURCE_DIR "/crds/unikernels.nanoplane.dev.yaml",
                      NP_SOURCE_DIR "/crds/hosts.nanoplane.dev.yaml"}});
    absl::StatusOr<std::string> url = server_->Start();
    ASSERT_TRUE(url.ok()) << url.status();
    dir_ = fs::path(::testing::TempDir()) / ("kubectl-plugin-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "kubeconfig")
        << "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
        << "clusters: [{name: fake, cluster: {server: \"" << *url << "\"}}]\n"
        << "users: [{name: dev, user: {token: user-token}}]\n"
        << "contexts: [{name: test, context: {cluster: fake, user: dev}}]\n";
    fs::create_symlink(NP_NANOPLANE_BINARY, dir_ / "kubectl-nanoplane");
    auto client = kube::KubeClient::New({.server = *url, .token = "user-token"});
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    store_ = std::make_unique<controller::KubeStore>(*client_, nullptr);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // kubectl runs its plugins this way: the binary, with the words after "nanoplane".
  // `env`: VAR=VALUE words for env(1), ahead of the command.
  Result Plugin(const std::string& args, const std::string& env = "") {
    std::string command = "env -u NANOPLANE_CONTROLLER " + env + " " +
                          (dir_ / "kubectl-nanoplane").string() + " " + args + " --kubeconfig " +
                          (dir_ / "kubeconfig").string() + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    std::string output;
    std::array<char, 4096> buffer;
    for (size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) {
      output.append(buffer.data(), n);
    }
    int status = ::pclose(pipe);
    return {WEXITSTATUS(status), output};
  }

  // A Unikernel at revision 2 of two, as the controller leaves it.
  void MakeTwoRevisions() {
    pb::Unikernel web = controller::MakeUnikernel("web", 2);
    *web.mutable_spec()->mutable_template_() = Template("v2");
    absl::StatusOr<pb::Unikernel> created = store_->Create(web);
    ASSERT_TRUE(created.ok()) << created.status();
    pb::Unikernel with_status = *created;
    pb::InstanceStatus& instance = *with_status.mutable_status()->add_instances();
    instance.set_name("web-2-abcde");
    instance.set_host("h1");
    instance.set_phase(pb::RUNNING);
    ASSERT_TRUE(store_->UpdateStatus(with_status).ok());
    int number = 0;
    for (const char* arg : {"v1", "v2"}) {
      pb::UnikernelTemplate tmpl = Template(arg);
      ASSERT_TRUE(store_
                      ->CreateRevision({.unikernel = {.ns = "default", .name = "web"},
                                        .unikernel_uid = created->metadata().uid(),
                                        .number = ++number,
                                        .hash = controller::application::TemplateHash(tmpl),
                                        .template_json = EncodeMessage(tmpl).dump()})
                      .ok());
    }
  }

  // A controller's API over the same cluster, with its own artifact store.
  controller::api::ApiTestServer& StartController() {
    auto index = controller::SqliteStore::Open({.data_dir = (dir_ / "index").string()});
    EXPECT_TRUE(index.ok()) << index.status();
    controller_index_ = *std::move(index);
    controller_store_ = std::make_unique<controller::KubeStore>(*client_, controller_index_.get());
    controller_ = std::make_unique<controller::api::ApiTestServer>(
        controller::application::UseCaseOptions{}, controller_store_.get());
    return *controller_;
  }

  std::unique_ptr<kube::testing::FakeApiServer> server_;
  fs::path dir_;
  std::unique_ptr<controller::SqliteStore> controller_index_;
  std::unique_ptr<controller::KubeStore> controller_store_;
  std::unique_ptr<controller::api::ApiTestServer> controller_;
  std::unique_ptr<kube::KubeClient> client_;
  std::unique_ptr<controller::KubeStore> store_;
};

TEST_F(KubePluginTest, RolloutVerbsGoThroughTheApiServer) {
  MakeTwoRevisions();
  Result history = Plugin("rollout history web");
  ASSERT_EQ(history.code, 0) << history.output;
  EXPECT_NE(history.output.find("1"), std::string::npos) << history.output;
  EXPECT_NE(history.output.find("image.args"), std::string::npos) << history.output;

  Result undo = Plugin("rollout undo web");
  ASSERT_EQ(undo.code, 0) << undo.output;
  EXPECT_NE(undo.output.find("rolled back to revision 1"), std::string::npos) << undo.output;
  EXPECT_EQ(store_->Get({.name = "web"})->spec().template_().image().args(0), "v1");

  Result pause = Plugin("rollout pause web");
  ASSERT_EQ(pause.code, 0) << pause.output;
  EXPECT_TRUE(store_->Get({.name = "web"})->spec().paused());
  Result restart = Plugin("rollout restart web");
  EXPECT_EQ(restart.code, 1) << "a paused rollout is not restarted, as kubectl says";
  EXPECT_NE(restart.output.find("rollout resume"), std::string::npos) << restart.output;
}

TEST_F(KubePluginTest, GetInstancesFromTheStatus) {
  MakeTwoRevisions();
  Result instances = Plugin("get instances");
  EXPECT_EQ(instances.code, 0) << instances.output;
  EXPECT_NE(instances.output.find("web-2-abcde"), std::string::npos) << instances.output;
  Result missing = Plugin("rollout undo nope");
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.output.find("not found"), std::string::npos) << missing.output;
}

TEST_F(KubePluginTest, ApplyUploadsLocalSourcesToTheControllerAndWritesTheirDigest) {
  controller::api::ApiTestServer& controller = StartController();
  const std::string program = "\x7f" "ELF not really, but bytes to upload";
  std::ofstream(dir_ / "app") << program;
  std::ofstream(dir_ / "web.yaml")
      << "apiVersion: nanoplane.dev/v1alpha1\nkind: Unikernel\nmetadata: {name: web}\n"
      << "spec:\n  replicas: 2\n  template:\n    image:\n      program: /app\n"
      << "      source: {path: ./app}\n";

  Result applied =
      Plugin("apply -f " + (dir_ / "web.yaml").string() + " --controller " + controller.address());
  ASSERT_EQ(applied.code, 0) << applied.output;
  EXPECT_NE(applied.output.find("created"), std::string::npos) << applied.output;

  const std::string digest = Sha256Hex(program);
  absl::StatusOr<pb::Unikernel> stored = store_->Get({.name = "web"});
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->spec().template_().image().source().sha256(), digest);
  EXPECT_TRUE(stored->spec().template_().image().source().path().empty());
  EXPECT_EQ(controller.artifacts().Size(digest).value_or(-1),
            static_cast<int64_t>(program.size()));

  Result again =
      Plugin("apply -f " + (dir_ / "web.yaml").string() + " --controller " + controller.address());
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_NE(again.output.find("unchanged"), std::string::npos) << again.output;
}

TEST_F(KubePluginTest, ApplyWithAnUnreachableControllerWritesNothing) {
  std::ofstream(dir_ / "app") << "bytes";
  std::ofstream(dir_ / "web.yaml")
      << "apiVersion: nanoplane.dev/v1alpha1\nkind: Unikernel\nmetadata: {name: web}\n"
      << "spec:\n  template:\n    image:\n      program: /app\n      source: {path: ./app}\n";
  // Nothing listens on port 1.
  Result applied = Plugin("apply -f " + (dir_ / "web.yaml").string() + " --controller 127.0.0.1:1");
  EXPECT_EQ(applied.code, 1) << applied.output;
  EXPECT_NE(applied.output.find("artifact store"), std::string::npos) << applied.output;
  EXPECT_EQ(store_->Get({.name = "web"}).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(KubePluginTest, ApplyOfUrlSourcesNeedsNoController) {
  std::ofstream(dir_ / "web.yaml")
      << "apiVersion: nanoplane.dev/v1alpha1\nkind: Unikernel\nmetadata: {name: web}\n"
      << "spec:\n  template:\n    image:\n      program: /app\n"
      << "      source: {url: \"http://127.0.0.1:1/app\", sha256: " << std::string(64, 'a')
      << "}\n";
  Result applied = Plugin("apply -f " + (dir_ / "web.yaml").string() + " --controller 127.0.0.1:1");
  ASSERT_EQ(applied.code, 0) << applied.output;
  EXPECT_TRUE(store_->Get({.name = "web"}).ok());
}

TEST_F(KubePluginTest, LogsComeFromTheControllersApi) {
  MakeTwoRevisions();
  controller::api::ApiTestServer& controller = StartController();
  controller.hub().SetHosts({controller::api::MakeHostSession("h1", {{"web-2-abcde", "default/web"}})});
  controller.hub().SetLog("h1", "web-2-abcde", "listening on :8080\n");
  Result logs = Plugin("logs web --controller " + controller.address());
  ASSERT_EQ(logs.code, 0) << logs.output;
  EXPECT_EQ(logs.output, "listening on :8080\n");
}

TEST_F(KubePluginTest, LogsWithoutAControllerSayWhatFailed) {
  MakeTwoRevisions();
  // No --controller: a port-forward, which needs a kubectl; here it is none.
  Result logs = Plugin("logs web", "PATH=/nonexistent");
  EXPECT_EQ(logs.code, 1) << logs.output;
  EXPECT_NE(logs.output.find("kubectl port-forward"), std::string::npos) << logs.output;
  EXPECT_NE(logs.output.find("--controller"), std::string::npos) << logs.output;
}

}  // namespace
}  // namespace nanoplane::cli
