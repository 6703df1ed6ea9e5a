// The machine's real kubectl against the fake, over TLS with a bearer token,
// as a user would drive a cluster. Skipped when kubectl or openssl is missing.

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

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

// Client certificates: CN is the user, O the groups, as with the real server.
TEST(ClientCertificateTest, SubjectIsTheUser) {
  if (Shell("command -v openssl && command -v curl").code != 0) {
    GTEST_SKIP() << "openssl or curl is not installed";
  }
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("np_client_cert_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string d = dir.string();
  Output pki = Shell(
      "cd " + d + " && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=ca "
      "-keyout ca.key -out ca.crt && "
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout server.key -out server.crt && "
      "openssl req -newkey rsa:2048 -nodes -subj '/O=system:masters/CN=alice' -keyout alice.key "
      "-out alice.csr && openssl x509 -req -in alice.csr -CA ca.crt -CAkey ca.key "
      "-CAcreateserial -days 1 -out alice.crt");
  ASSERT_EQ(pki.code, 0) << pki.text;
  FakeApiServerOptions options;
  options.tls_cert_file = d + "/server.crt";
  options.tls_key_file = d + "/server.key";
  options.client_ca_file = d + "/ca.crt";
  FakeApiServer server(options);
  auto url = server.Start();
  ASSERT_TRUE(url.ok()) << url.status();
  const std::string curl = "curl -s -o /dev/null -w '%{http_code}' --cacert " + d + "/server.crt ";
  EXPECT_EQ(Shell(curl + "--cert " + d + "/alice.crt --key " + d + "/alice.key " + *url +
                  "/api/v1/namespaces/default/secrets")
                .text,
            "200");
  EXPECT_EQ(Shell(curl + *url + "/api/v1/namespaces/default/secrets").text, "401");
  std::filesystem::remove_all(dir);
}

// The executable, as e2e tests and the benchmark run it.
TEST(FakeApiServerProcessTest, ServesWhatItsFlagsSay) {
  if (Shell("command -v curl").code != 0) {
    GTEST_SKIP() << "curl is not installed";
  }
  const std::string port_file = std::filesystem::temp_directory_path() /
                                ("np_fake_port_" + std::to_string(::getpid()));
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::vector<std::string> args = {NP_FAKE_APISERVER, "--port-file", port_file, "--crd",
                                   NP_SOURCE_DIR "/crds/unikernels.nanoplane.dev.yaml",
                                   "--token", "t=alice:system:masters"};
  std::vector<char*> argv;
  for (std::string& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  FILE* server = ::fdopen(out[0], "r");
  char line[256] = {};
  ASSERT_NE(std::fgets(line, sizeof line, server), nullptr);
  std::string url(line);
  url.erase(url.find_last_not_of("\n") + 1);
  EXPECT_EQ(url.rfind("http://127.0.0.1:", 0), 0u) << url;
  std::ifstream port(port_file);
  int p = 0;
  port >> p;
  EXPECT_EQ(url, "http://127.0.0.1:" + std::to_string(p));
  Output list = Shell("curl -s -H 'Authorization: Bearer t' " + url +
                      "/apis/nanoplane.dev/v1alpha1/unikernels");
  EXPECT_NE(list.text.find("\"kind\":\"UnikernelList\""), std::string::npos) << list.text;
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::fclose(server);
  std::filesystem::remove(port_file);
}

}  // namespace
}  // namespace nanoplane::kube::testing
