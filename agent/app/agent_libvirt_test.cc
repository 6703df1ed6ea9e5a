// The Agent with the real LibvirtVmDriver and the Linux test guest (direct
// kernel boot, no image build: the injected build turns the template's image
// args into the guest's kernel command line). Skipped when libvirtd does not
// answer on qemu:///system; CI starts it with scripts/libvirtd.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/adapters/accelerator.h"
#include "agent/adapters/libvirt_vm_driver.h"
#include "agent/adapters/subprocess.h"
#include "agent/app/agent.h"
#include "agent/app/agent_test_util.h"
#include "agent/app/prefix_vm_driver.h"
#include "agent/app/probe_runner.h"
#include "agent/testing/test_guest.h"
#include "common/strings.h"
#include "common/testing/net_wait.h"
#include "common/testing/require.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nanoplane::agent::app {
namespace {

using ::nanoplane::test_support::HttpGet;
using ::nanoplane::test_support::WaitFor;

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// As long as a guest may take to boot.
constexpr absl::Duration kTimeout = absl::Seconds(90);


class AgentLibvirtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NP_SKIP_UNLESS_LIBVIRTD();
    static std::atomic<int> counter = 0;
    prefix_ = StrCat("np-app-", getpid(), "-", counter++);
    state_dir_ = StrCat("/tmp/", prefix_);
    absl::StatusOr<nanoplane::agent::testing::TestGuest> guest =
        nanoplane::agent::testing::MakeTestGuest(
            (fs::temp_directory_path() / "nanoplane-test-guest").string());
    ASSERT_TRUE(guest.ok()) << guest.status();
    guest_ = *guest;
    accelerator_ = DetectAccelerator();
    OpenAgent();
  }

  void TearDown() override {
    agent_.reset();
    if (driver_ != nullptr) {
      for (const std::string& name : names_) {
        (void)driver_->Delete(name, {.remove_console_log = true});
      }
    }
    // The driver first: its event thread calls into the view.
    driver_.reset();
    view_.reset();
    std::error_code ec;
    fs::remove_all(state_dir_, ec);
  }

  // A new driver and agent over the same state directory, as after kill -9.
  void OpenAgent() {
    agent_.reset();
    driver_.reset();  // first: its event thread calls into the view
    view_.reset();
    absl::StatusOr<std::unique_ptr<LibvirtVmDriver>> driver =
        LibvirtVmDriver::Open({.state_dir = state_dir_ + "/vms"});
    ASSERT_TRUE(driver.ok()) << driver.status();
    driver_ = std::move(*driver);
    // Only this test's VMs: never those of parallel tests or of other agents.
    view_ = std::make_unique<testing::PrefixVmDriver>(*driver_, prefix_ + "-");
    AgentOptions options{.host = "test-host", .state_dir = state_dir_};
    options.vm.accelerator = accelerator_;
    options.resync_interval = absl::Milliseconds(500);
    options.probe_tick = absl::Milliseconds(20);
    options.stop_timeout = absl::Seconds(5);
    options.local.grace_period = absl::ZeroDuration();
    options.local.backoff.initial = absl::Seconds(1);
    AgentDeps deps{
        .driver = view_.get(),
        .build = [this](const v1::InstanceAssignment& instance) -> absl::StatusOr<AgentImage> {
          return AgentImage{.key = "np-test-guest",
                            .boot = nanoplane::agent::testing::TestGuestBoot(
                                guest_, StrJoin(instance.template_().image().args(), " "))};
        },
    };
    absl::StatusOr<std::unique_ptr<Agent>> agent = Agent::Create(options, std::move(deps));
    ASSERT_TRUE(agent.ok()) << agent.status();
    agent_ = std::move(*agent);
    ASSERT_TRUE(agent_->Start().ok());
  }

  // An instance of the test guest in `mode` ("np.mode=http"), probed over HTTP.
  v1::InstanceAssignment Guest(std::string_view suffix, std::string_view mode,
                               v1alpha1::RestartPolicy policy = v1alpha1::ALWAYS) {
    v1::InstanceAssignment instance = testing::MakeInstance({.name = StrCat(prefix_, "-", suffix),
                                                             .restart_policy = policy,
                                                             .readiness = mode == "np.mode=http"});
    names_.push_back(instance.identity().name());
    instance.mutable_template_()->mutable_image()->add_args(std::string(mode));
    instance.mutable_template_()->mutable_resources()->set_memory(128 << 20);
    return instance;
  }

  v1::InstanceReport Report(const std::string& name) {
    const v1::Report all = agent_->CurrentReport();
    for (const v1::InstanceReport& report : all.instances()) {
      if (report.identity().name() == name) {
        return report;
      }
    }
    return {};
  }

  bool WaitReady(const std::string& name) {
    return WaitFor(
        [&] {
          v1::InstanceReport r = Report(name);
          return r.phase() == v1alpha1::RUNNING && r.ready();
        },
        kTimeout);
  }

  std::string prefix_, state_dir_;
  nanoplane::agent::testing::TestGuest guest_;
  Accelerator accelerator_ = Accelerator::kTcg;
  std::unique_ptr<LibvirtVmDriver> driver_;
  std::unique_ptr<testing::PrefixVmDriver> view_;
  std::unique_ptr<Agent> agent_;
  std::vector<std::string> names_;
};

TEST_F(AgentLibvirtTest, ReachesReadyThroughHttpProbeAndIsAdoptedAfterTheAgentDies) {
  v1::InstanceAssignment web = Guest("web", "np.mode=http");
  const std::string name = web.identity().name();
  const absl::Time start = absl::Now();
  ASSERT_TRUE(agent_->Apply(testing::MakeAssignment(1, {web})).ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        return HttpGet(Report(name).ports_size() > 0 ? Report(name).ports(0).host_port() : 1)
                   .find(nanoplane::agent::testing::kTestGuestBody) != std::string::npos;
      },
      kTimeout));
  const absl::Duration to_http = absl::Now() - start;
  ASSERT_TRUE(WaitReady(name)) << Report(name).DebugString();
  const absl::Duration to_ready = absl::Now() - start;
  std::printf("test guest (%s): assignment to HTTP answering %s, to Ready (1 s probe period) %s\n",
              std::string(ToString(accelerator_)).c_str(), absl::FormatDuration(to_http).c_str(),
              absl::FormatDuration(to_ready).c_str());
  RecordProperty("assignment_to_ready_ms", static_cast<int>(absl::ToInt64Milliseconds(to_ready)));

  v1::InstanceReport report = Report(name);
  ASSERT_EQ(report.ports_size(), 1);
  EXPECT_EQ(report.ports(0).host_ip(), "127.0.0.1");
  const int host_port = report.ports(0).host_port();
  EXPECT_THAT(HttpGet(host_port), HasSubstr("200 OK"));
  absl::StatusOr<VmInfo> before = driver_->Get(name);
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(before->started_at.has_value());

  // kill -9 of the agent, as far as the VM can tell: the objects go, the VM stays.
  OpenAgent();
  ASSERT_TRUE(WaitReady(name)) << Report(name).DebugString();
  absl::StatusOr<VmInfo> after = driver_->Get(name);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->state, VmState::kRunning);
  EXPECT_EQ(after->started_at, before->started_at) << "the VM was restarted";
  EXPECT_EQ(Report(name).restarts(), 0);
  EXPECT_EQ(Report(name).ports(0).host_port(), host_port);
  EXPECT_THAT(HttpGet(host_port), HasSubstr(nanoplane::agent::testing::kTestGuestBody));

  // The console log is served from the agent's log directory.
  auto sink = std::make_shared<testing::CollectingSink>();
  v1::LogRequest request;
  request.set_instance(name);
  agent_->ServeLogs(request, sink);
  ASSERT_TRUE(WaitFor([&] { return sink->ended(); }, absl::Seconds(5)));
  EXPECT_THAT(sink->data(), HasSubstr(nanoplane::agent::testing::kTestGuestMarker));

  // Unassigned: stopped and deleted, the log kept.
  ASSERT_TRUE(agent_->Apply(testing::MakeAssignment(2, {})).ok());
  ASSERT_TRUE(WaitFor([&] { return absl::IsNotFound(driver_->Get(name).status()); }, kTimeout));
  EXPECT_TRUE(fs::exists(agent_->ConsoleLogPath(name)));
  EXPECT_TRUE(
      WaitFor([&] { return agent_->CurrentReport().instances_size() == 0; }, absl::Seconds(5)));
}

TEST_F(AgentLibvirtTest, CrashedGuestIsRestartedWithBackOff) {
  v1::InstanceAssignment crash = Guest("crash", "np.mode=crash");
  const std::string name = crash.identity().name();
  ASSERT_TRUE(agent_->Apply(testing::MakeAssignment(1, {crash})).ok());
  ASSERT_TRUE(WaitFor([&] { return Report(name).restarts() >= 1; }, kTimeout))
      << Report(name).DebugString();
  ASSERT_TRUE(WaitFor([&] { return Report(name).phase() == v1alpha1::BACK_OFF; }, kTimeout))
      << Report(name).DebugString();
  EXPECT_THAT(Report(name).message(), HasSubstr("back-off"));
}

TEST_F(AgentLibvirtTest, GuestExitCodeIsReported) {
  v1::InstanceAssignment exits = Guest("exit", "np.mode=exit np.code=3", v1alpha1::NEVER);
  const std::string name = exits.identity().name();
  ASSERT_TRUE(agent_->Apply(testing::MakeAssignment(1, {exits})).ok());
  // QEMU's exit status reaches the driver a moment after libvirt reports the
  // stop; until then the run reads as a crash, which the next round corrects.
  ASSERT_TRUE(WaitFor(
      [&] {
        v1::InstanceReport r = Report(name);
        return r.phase() == v1alpha1::FAILED && r.has_exit_code();
      },
      kTimeout))
      << Report(name).DebugString();
  EXPECT_EQ(Report(name).exit_code(), 3);
}

}  // namespace
}  // namespace nanoplane::agent::app
