// End to end with real VMs: nanoplane-agent as its own process (booting the
// Linux test guest through libvirtd), killed with SIGKILL while its VMs run.
// The VMs keep running and answering; a new agent over the same state
// directory adopts them: the same instances in the same QEMU processes (no
// restart), no duplicate, reported ready again. Skipped when libvirtd does
// not answer on qemu:///system (scripts/libvirtd start).

#include <unistd.h>

#include <filesystem>
#include <map>

#include "agent/testing/test_guest.h"
#include "common/strings.h"
#include "common/testing/net_wait.h"
#include "common/testing/require.h"
#include "e2e/cluster.h"
#include "e2e/libvirt.h"
#include "gtest/gtest.h"

namespace nanoplane::e2e {
namespace {

namespace fs = std::filesystem;
using nanoplane::test_support::FreePort;
using nanoplane::test_support::HttpGet;
using nanoplane::test_support::WaitFor;

constexpr absl::Duration kReadyTimeout = absl::Seconds(150);

std::string Manifest(const std::string& name) {
  return StrCat("apiVersion: nanoplane.dev/v1alpha1\nkind: Unikernel\nmetadata: {name: ", name,
                "}\nspec:\n  replicas: 2\n  template:\n    image: {program: /np-test-guest, args: "
                "[np.mode=http]}\n    resources: {memory: 128Mi, cpus: 1}\n"
                "    ports: [{name: http, port: 8080}]\n"
                "    readinessProbe: {httpGet: {path: /, port: http}, periodSeconds: 1}\n");
}

class LibvirtAdoptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NP_SKIP_UNLESS_LIBVIRTD();
    dir_ = MakeTempDir("np-e2e-adopt");
    ASSERT_FALSE(dir_.empty());
    // QEMU runs as another user and must reach the VMs' files under it.
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
    api_ = StrCat("127.0.0.1:", FreePort());
    hub_ = StrCat("127.0.0.1:", FreePort());
  }

  void TearDown() override {
    agent_.reset();
    controller_.reset();
    RemoveDomains(name_ + "-");  // whatever happened above
    if (dir_.empty()) {
      return;
    }
    if (HasFailure()) {
      std::printf("logs kept in %s\n", dir_.c_str());
    } else {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  void StartController() {
    absl::StatusOr<std::unique_ptr<Process>> process = e2e::StartController(dir_, api_, hub_);
    ASSERT_TRUE(process.ok()) << process.status();
    controller_ = *std::move(process);
  }

  void StartAgent() {
    const std::string guest = (fs::temp_directory_path() / "nanoplane-test-guest").string();
    auto process =
        Process::Start({AgentBinary(), "--controller", hub_, "--join-token", "e2e", "--host",
                        "adopter", "--state-dir", dir_ + "/agent", "--metrics-address",
                        "127.0.0.1:0", "--test-guest", guest, "--report-interval", "1"},
                       StrCat(dir_, "/agent-", starts_++, ".log"));
    ASSERT_TRUE(process.ok()) << process.status();
    agent_ = std::move(*process);
  }

  // Every instance ready; their names and first host ports.
  std::map<std::string, int> WaitAllReady() {
    UnikernelView view;
    EXPECT_TRUE(WaitFor(
        [&] {
          absl::StatusOr<UnikernelView> got = cli().Get(name_);
          view = got.value_or(UnikernelView{});
          return got.ok() && got->RolledOut();
        },
        kReadyTimeout, absl::Milliseconds(200)))
        << "not all ready; agent log:\n"
        << (agent_ ? agent_->Output() : "");
    std::map<std::string, int> ports;
    for (const InstanceView& instance : view.instances) {
      ports[instance.name] = instance.host_port;
    }
    return ports;
  }

  std::string dir_, api_, hub_;
  const std::string name_ = StrCat("adopt-", getpid());
  Cli cli() const { return Cli(api_); }
  std::unique_ptr<Process> controller_, agent_;
  int starts_ = 0;
};

TEST_F(LibvirtAdoptionTest, AKilledAgentsVmsKeepRunningAndANewAgentAdoptsThem) {
  StartController();
  StartAgent();
  const std::string manifest = dir_ + "/adopt.yaml";
  ASSERT_TRUE(WriteFile(manifest, Manifest(name_)));
  absl::StatusOr<CommandResult> applied = cli().Run({"apply", "-f", manifest});
  ASSERT_TRUE(applied.ok() && applied->exit_code == 0)
      << (applied.ok() ? applied->output : applied.status().ToString());
  const std::map<std::string, int> before = WaitAllReady();
  ASSERT_EQ(before.size(), 2u);
  std::map<std::string, int> qemu;
  for (const auto& [instance, port] : before) {
    qemu[instance] = QemuPid(instance);
    ASSERT_GT(qemu[instance], 0) << instance << " has no QEMU process";
  }

  agent_->Kill9();
  for (const auto& [instance, port] : before) {
    EXPECT_EQ(QemuPid(instance), qemu[instance]) << instance << " stopped with its agent";
    EXPECT_NE(HttpGet(port).find(agent::testing::kTestGuestBody), std::string::npos)
        << instance << " no longer answers on 127.0.0.1:" << port;
  }

  const absl::Time restarted = absl::Now();
  StartAgent();
  // Until the new agent's hello, the API still shows what the old one said.
  ASSERT_TRUE(agent_->WaitForOutput("connected to controller", absl::Seconds(30)).ok())
      << agent_->Output();
  EXPECT_EQ(WaitAllReady(), before) << "other instances or ports after the restart";
  std::printf("adopted %zu VMs, all ready %s after the agent restarted\n", before.size(),
              absl::FormatDuration(absl::Now() - restarted).c_str());
  for (const auto& [instance, port] : before) {
    EXPECT_EQ(QemuPid(instance), qemu[instance]) << instance << " was restarted";
  }
  EXPECT_EQ(Domains(name_ + "-").size(), 2u) << "a duplicate VM";

  absl::StatusOr<CommandResult> deleted = cli().Run({"delete", "unikernel", name_});
  ASSERT_TRUE(deleted.ok() && deleted->exit_code == 0);
  EXPECT_TRUE(WaitFor([&] { return Domains(name_ + "-").empty(); }, absl::Seconds(90)))
      << "VMs left after delete";
}

}  // namespace
}  // namespace nanoplane::e2e
