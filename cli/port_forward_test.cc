// PortForward with stand-in kubectl scripts that print what kubectl
// port-forward prints; the real kubectl is tried by hand against a real API
// server (its messages are the ones these scripts echo).

#include "cli/port_forward.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace nanoplane::cli {
namespace {

namespace fs = std::filesystem;

class PortForwardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("port-forward-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A kubectl that runs `body` (sh), its arguments saved in args, its pid in pid.
  std::string Kubectl(const std::string& body) {
    fs::path script = dir_ / "kubectl";
    std::ofstream(script) << "#!/bin/sh\necho \"$@\" > " << (dir_ / "args") << "\necho $$ > "
                          << (dir_ / "pid") << "\n"
                          << body;
    fs::permissions(script, fs::perms::owner_all);
    return script.string();
  }

  std::string Read(const std::string& name) {
    std::stringstream text;
    text << std::ifstream(dir_ / name).rdbuf();
    return text.str();
  }

  fs::path dir_;
};

TEST(ForwardedAddressTest, ReadsTheIpv4Line) {
  EXPECT_EQ(ForwardedAddress("Forwarding from 127.0.0.1:43127 -> 7443"), "127.0.0.1:43127");
  EXPECT_EQ(ForwardedAddress("Forwarding from [::1]:43127 -> 7443"), "");
  EXPECT_EQ(ForwardedAddress("Handling connection for 43127"), "");
  EXPECT_EQ(ForwardedAddress("Forwarding from 127.0.0.1: -> 7443"), "");
}

TEST_F(PortForwardTest, ForwardsUntilDestroyed) {
  std::string kubectl = Kubectl(
      "echo 'Forwarding from 127.0.0.1:45678 -> 7443'\n"
      "echo 'Forwarding from [::1]:45678 -> 7443'\nexec sleep 60\n");
  absl::StatusOr<std::unique_ptr<PortForward>> forward = PortForward::Start(
      {.kubectl = kubectl, .kubeconfig = "/k/config", .context = "prod", .ns = "np"});
  ASSERT_TRUE(forward.ok()) << forward.status();
  EXPECT_EQ((*forward)->address(), "127.0.0.1:45678");
  EXPECT_EQ(Read("args"),
            "port-forward --kubeconfig=/k/config --context=prod --namespace=np "
            "--address=127.0.0.1 svc/nanoplane-controller :7443\n");
  pid_t pid = std::stoi(Read("pid"));
  EXPECT_EQ(::kill(pid, 0), 0) << "kubectl runs while the forward lives";
  forward->reset();
  EXPECT_NE(::kill(pid, 0), 0) << "kubectl stopped and reaped";
}

TEST_F(PortForwardTest, KubectlsOwnErrorIsTheMessage) {
  std::string kubectl = Kubectl(
      "echo 'Error from server (NotFound): services \"nanoplane-controller\" not found' >&2\n"
      "exit 1\n");
  absl::StatusOr<std::unique_ptr<PortForward>> forward = PortForward::Start({.kubectl = kubectl});
  ASSERT_FALSE(forward.ok());
  EXPECT_EQ(forward.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(forward.status().message().find("services \"nanoplane-controller\" not found"),
            std::string::npos)
      << forward.status();
  EXPECT_NE(forward.status().message().find("--controller"), std::string::npos);
}

TEST_F(PortForwardTest, GivesUpAfterTheTimeout) {
  std::string kubectl = Kubectl("exec sleep 60\n");
  absl::StatusOr<std::unique_ptr<PortForward>> forward =
      PortForward::Start({.kubectl = kubectl, .timeout = absl::Milliseconds(300)});
  ASSERT_FALSE(forward.ok());
  EXPECT_EQ(forward.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(forward.status().message().find("controller pod"), std::string::npos)
      << forward.status();
  EXPECT_NE(::kill(std::stoi(Read("pid")), 0), 0) << "the waiting kubectl is stopped";
}

TEST_F(PortForwardTest, NoKubectlIsNotFound) {
  absl::StatusOr<std::unique_ptr<PortForward>> forward =
      PortForward::Start({.kubectl = (dir_ / "no-such-kubectl").string()});
  ASSERT_FALSE(forward.ok());
  EXPECT_EQ(forward.status().code(), absl::StatusCode::kNotFound) << forward.status();
  EXPECT_NE(forward.status().message().find("is kubectl installed"), std::string::npos);
}

}  // namespace
}  // namespace nanoplane::cli
