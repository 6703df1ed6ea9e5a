// The machine's real kubectl against the fake, over TLS with a bearer token,
// as a user would drive a cluster. Skipped when kubectl or openssl is missing.

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/kube/testing/fake_api_server.h"
#include "gtest/gtest.h"

namespace nanoplane::kube::testing {
namespace {

struct Output {
  int code = -1;
  std::string text;  // stdout and stderr
};

Output Shell(const std::string& command) {
  Output out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) {
    out.text.append(buf, n);
  }
  int status = ::pclose(pipe);
  out.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

class KubectlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Shell("command -v kubectl").code != 0 || Shell("command -v openssl").code != 0) {
      GTEST_SKIP() << "kubectl or openssl is not installed: the kubectl test is skipped";
    }
    dir_ = std::filesystem::temp_directory_path() /
           ("np_kubectl_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    ASSERT_EQ(Shell("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                  "-addext subjectAltName=IP:127.0.0.1 -keyout " + Path("key.pem") +
                  " -out " + Path("cert.pem"))
                  .code,
              0);
    FakeApiServerOptions options;
    options.tokens["admin-token"] = {"admin", {"system:masters"}};
    options.tls_cert_file = Path("cert.pem");
    options.tls_key_file = Path("key.pem");
    server_ = std::make_unique<FakeApiServer>(options);
    auto url = server_->Start();
    ASSERT_TRUE(url.ok()) << url.status();
    std::ofstream(Path("kubeconfig"))
        << "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: " << *url
        << "\n    certificate-authority: " << Path("cert.pem")
        << "\nusers:\n- name: admin\n  user:\n    token: admin-token\ncontexts:\n- name: fake\n"
           "  context:\n    cluster: fake\n    user: admin\n    namespace: default\n"
           "current-context: fake\n";
  }
  void TearDown() override {
    if (!dir_.empty()) {
      std::filesystem::remove_all(dir_);
    }
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  Output Kubectl(const std::string& args) {
    return Shell("cd " NP_SOURCE_DIR " && timeout 30 kubectl --kubeconfig " + Path("kubeconfig") +
               " " + args);
  }

  std::filesystem::path dir_;
  std::unique_ptr<FakeApiServer> server_;
};

TEST_F(KubectlTest, ApplyGetScaleWatchDescribeDelete) {
  Output crds = Kubectl("apply -f crds/");
  ASSERT_EQ(crds.code, 0) << crds.text;
  EXPECT_NE(crds.text.find("customresourcedefinition.apiextensions.k8s.io/unikernels.nanoplane.dev created"),
            std::string::npos);
  Output apply = Kubectl("apply -f examples/web.yaml");
  ASSERT_EQ(apply.code, 0) << apply.text;
  EXPECT_NE(apply.text.find("unikernel.nanoplane.dev/web created"), std::string::npos);
  Output get = Kubectl("get uk");
  ASSERT_EQ(get.code, 0) << get.text;
  EXPECT_NE(get.text.find("DESIRED"), std::string::npos) << get.text;
  EXPECT_NE(get.text.find("web    3"), std::string::npos) << get.text;

  Output watched;
  std::thread watcher([&] { watched = Kubectl("get uk -w --request-timeout=4s"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  Output scale = Kubectl("scale uk web --replicas 5");
  ASSERT_EQ(scale.code, 0) << scale.text;
  EXPECT_NE(scale.text.find("unikernel.nanoplane.dev/web scaled"), std::string::npos);
  watcher.join();
  EXPECT_NE(watched.text.find("web    5"), std::string::npos) << watched.text;

  Output again = Kubectl("apply -f examples/web.yaml");
  EXPECT_NE(again.text.find("unikernel.nanoplane.dev/web configured"), std::string::npos)
      << again.text;
  Output events = Kubectl("get events");
  EXPECT_EQ(events.code, 0) << events.text;
  Output describe = Kubectl("describe uk web");
  EXPECT_EQ(describe.code, 0) << describe.text;
  EXPECT_NE(describe.text.find("Events:"), std::string::npos) << describe.text;
  Output del = Kubectl("delete uk web");
  EXPECT_EQ(del.code, 0) << del.text;
  EXPECT_NE(Kubectl("get uk web").text.find("NotFound"), std::string::npos);
}

}  // namespace
}  // namespace nanoplane::kube::testing
