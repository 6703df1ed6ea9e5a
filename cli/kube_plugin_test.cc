// The nanoplane binary as kubectl-nanoplane, as a process, against the fake
// API server: the rollout verbs and get instances through the user's
// kubeconfig, with no controller anywhere.

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
#include "controller/adapters/kube_store.h"
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
  Result Plugin(const std::string& args) {
    std::string command = (dir_ / "kubectl-nanoplane").string() + " " + args + " --kubeconfig " +
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

  std::unique_ptr<kube::testing::FakeApiServer> server_;
  fs::path dir_;
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

TEST_F(KubePluginTest, GetInstancesAndWhatOnlyTheControllerServes) {
  MakeTwoRevisions();
  Result instances = Plugin("get instances");
  EXPECT_EQ(instances.code, 0) << instances.output;
  Result logs = Plugin("logs web");
  EXPECT_EQ(logs.code, 1);
  EXPECT_NE(logs.output.find("controller"), std::string::npos) << logs.output;
  Result missing = Plugin("rollout undo nope");
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.output.find("not found"), std::string::npos) << missing.output;
}

}  // namespace
}  // namespace nanoplane::cli
