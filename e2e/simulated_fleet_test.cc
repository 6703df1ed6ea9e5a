// End to end with the real binaries: one nanoplane-controller and three
// nanoplane-agent processes with the simulated VM driver, driven through the
// nanoplane CLI. A rolling update survives kill -9 of the controller and then
// of an agent, both mid-rollout: the rollout completes, no sample of the API
// ever shows more than replicas + maxSurge instances or fewer than replicas -
// maxUnavailable ready, fewer VMs than that never run booted, and no
// simulated VM is ever lost or running twice.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/strings.h"
#include "common/testing/net_wait.h"
#include "e2e/cluster.h"
#include "gtest/gtest.h"

namespace nanoplane::e2e {
namespace {

namespace fs = std::filesystem;
using nanoplane::test_support::FreePort;
using nanoplane::test_support::WaitFor;

// A fleet size and its Unikernel's rollout limits.
struct Fleet {
  int agents = 0;
  RolloutBounds bounds;
};

std::string Manifest(const RolloutBounds& bounds, const std::string& arg) {
  return StrCat(R"(apiVersion: nanoplane.dev/v1alpha1
kind: Unikernel
metadata:
  name: web
spec:
  replicas: )",
                bounds.replicas, R"(
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: )",
                bounds.max_surge, R"(
      maxUnavailable: )",
                bounds.max_unavailable, R"(
  template:
    image:
      program: /web
      args: [")",
                arg, R"("]
    resources:
      memory: 64Mi
      cpus: 1
    ports:
      - name: http
        port: 8080
    readinessProbe:
      tcpSocket:
        port: http
      periodSeconds: 1
)");
}

constexpr absl::Duration kBoot = absl::Seconds(2);

// Samples ReadRunningVms in the background: the most VMs seen running at
// once, the fewest booted, and any VM running on two hosts.
class VmSampler {
 public:
  explicit VmSampler(std::vector<std::string> dirs) : dirs_(std::move(dirs)) {
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        RunningVms vms = ReadRunningVms(dirs_, kBoot);
        max_running_ = std::max(max_running_.load(), static_cast<int>(vms.revisions.size()));
        min_booted_ = std::min(min_booted_.load(), vms.booted);
        if (!vms.twice.empty()) {
          twice_ = true;
        }
        absl::SleepFor(absl::Milliseconds(10));
      }
    });
  }
  ~VmSampler() {
    stop_ = true;
    thread_.join();
  }
  int max_running() const { return max_running_.load(); }
  int min_booted() const { return min_booted_.load(); }
  bool twice() const { return twice_.load(); }

 private:
  std::vector<std::string> dirs_;
  std::atomic<bool> stop_{false}, twice_{false};
  std::atomic<int> max_running_{0}, min_booted_{1 << 30};
  std::thread thread_;
};

class SimulatedFleetTest : public ::testing::TestWithParam<Fleet> {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("np-e2e-fleet");
    ASSERT_FALSE(dir_.empty());
    api_ = StrCat("127.0.0.1:", FreePort());
    hub_ = StrCat("127.0.0.1:", FreePort());
    for (int i = 0; i < GetParam().agents; ++i) {
      agent_dirs_.push_back(StrCat(dir_, "/agent-", i));
    }
    agents_.resize(GetParam().agents);
  }

  void TearDown() override {
    for (auto& agent : agents_) {
      agent.reset();
    }
    controller_.reset();
    if (!HasFailure()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    } else {
      std::printf("logs kept in %s\n", dir_.c_str());
    }
  }

  void StartController() {
    absl::StatusOr<std::unique_ptr<Process>> process = e2e::StartController(dir_, api_, hub_);
    ASSERT_TRUE(process.ok()) << process.status();
    controller_ = *std::move(process);
  }

  // The i-th agent; on a restart it appends to the same log and state dir.
  void StartAgent(int i) {
    auto process = Process::Start(SimulatedAgentArgv(hub_, i, agent_dirs_[i], kBoot),
                                  StrCat(dir_, "/agent-", i, "-", starts_++, ".log"));
    ASSERT_TRUE(process.ok()) << process.status();
    agents_[i] = std::move(*process);
  }

  void Apply(const std::string& arg) {
    const std::string path = dir_ + "/web.yaml";
    ASSERT_TRUE(WriteFile(path, Manifest(GetParam().bounds, arg)));
    absl::StatusOr<CommandResult> applied = cli().Run({"apply", "-f", path});
    ASSERT_TRUE(applied.ok() && applied->exit_code == 0)
        << (applied.ok() ? applied->output : applied.status().ToString());
  }

  bool WaitRolledOut(absl::Duration timeout, UnikernelView* last) {
    return WaitFor(
        [&] {
          absl::StatusOr<UnikernelView> view = cli().Get("web");
          if (view.ok()) {
            *last = *view;
          }
          return view.ok() && view->RolledOut();
        },
        timeout, absl::Milliseconds(100));
  }

  Cli cli() const { return Cli(api_); }

  std::string dir_, api_, hub_;
  std::vector<std::string> agent_dirs_;
  std::unique_ptr<Process> controller_;
  std::vector<std::unique_ptr<Process>> agents_;
  int starts_ = 0;
};

TEST_P(SimulatedFleetTest, RollingUpdateSurvivesKill9OfTheControllerAndOfAnAgent) {
  const int agents = GetParam().agents;
  const RolloutBounds bounds = GetParam().bounds;
  ASSERT_NO_FATAL_FAILURE(StartController());
  for (int i = 0; i < agents; ++i) {
    ASSERT_NO_FATAL_FAILURE(StartAgent(i));
  }
  for (int i = 0; i < agents; ++i) {
    ASSERT_TRUE(agents_[i]->WaitForOutput("connected to controller", absl::Seconds(30)).ok())
        << agents_[i]->Output();
  }

  const absl::Time applied = absl::Now();
  ASSERT_NO_FATAL_FAILURE(Apply("np.v=1"));
  UnikernelView view;
  ASSERT_TRUE(WaitRolledOut(absl::Seconds(60), &view)) << "last status: " << view.ready << " ready";
  const absl::Duration to_ready = absl::Now() - applied;
  ASSERT_EQ(view.update_revision, 1);

  const Cli client = cli();
  RolloutMonitor monitor(client, "web", bounds);
  VmSampler vms(agent_dirs_);
  const absl::Time updated = absl::Now();
  ASSERT_NO_FATAL_FAILURE(Apply("np.v=2"));

  // kill -9 of the controller once the rollout has begun, not finished.
  ASSERT_TRUE(WaitFor(
      [&] {
        UnikernelView last = monitor.Last();
        return last.update_revision == 2 && last.updated >= 1 && last.updated < bounds.replicas;
      },
      absl::Seconds(30), absl::Milliseconds(10)));
  const int updated_at_controller_kill = monitor.Last().updated;
  controller_->Kill9();
  absl::SleepFor(absl::Milliseconds(300));
  ASSERT_NO_FATAL_FAILURE(StartController());

  // kill -9 of an agent, once the new controller answers, while the rollout
  // goes on: preferably the host of an instance still booting.
  const int before = monitor.Samples();
  ASSERT_TRUE(WaitFor([&] { return monitor.Samples() > before; }, absl::Seconds(30)));
  const UnikernelView at_agent_kill = monitor.Last();
  ASSERT_FALSE(at_agent_kill.RolledOut()) << "the rollout ended before the agent's kill";
  std::string host = "sim-0";
  for (const InstanceView& instance : at_agent_kill.instances) {
    if (!instance.ready && !instance.host.empty()) {
      host = instance.host;
    }
  }
  const int victim = static_cast<int>(ParseInt64(std::string_view(host).substr(4)).value_or(-1));
  ASSERT_TRUE(victim >= 0 && victim < agents) << host;
  // A restarted agent probes the VMs it finds before it says hello, so the
  // API's ready count stays within the bound through the kill as well.
  agents_[victim]->Kill9();
  absl::SleepFor(absl::Milliseconds(500));
  ASSERT_NO_FATAL_FAILURE(StartAgent(victim));
  ASSERT_TRUE(agents_[victim]->WaitForOutput("connected to controller", absl::Seconds(30)).ok());

  ASSERT_TRUE(WaitRolledOut(absl::Seconds(90), &view))
      << "last status: " << view.updated << " updated, " << view.ready << " ready, "
      << view.instances.size() << " instances";
  const absl::Duration rollout = absl::Now() - updated;
  // The agents' truth agrees: exactly the listed instances run, once each.
  RunningVms running;
  EXPECT_TRUE(WaitFor(
      [&] {
        running = ReadRunningVms(agent_dirs_, kBoot);
        return running.revisions.size() == static_cast<size_t>(bounds.replicas);
      },
      absl::Seconds(10)))
      << running.revisions.size() << " VMs run";
  monitor.Stop();

  std::set<std::string> names;
  for (const InstanceView& instance : view.instances) {
    EXPECT_TRUE(names.insert(instance.name).second) << instance.name;
    EXPECT_EQ(instance.revision, 2) << instance.name;
    EXPECT_EQ(running.revisions[instance.name], 2) << instance.name << " does not run";
  }
  EXPECT_EQ(view.args, std::vector<std::string>{"np.v=2"});
  EXPECT_TRUE(running.twice.empty());
  EXPECT_FALSE(vms.twice()) << "a VM ran on two hosts at once";
  // Not held to replicas + maxSurge: as in Kubernetes, an instance being
  // stopped no longer counts, so its replacement may start before its VM is
  // gone (seen: 9 VMs for some 30 ms). Printed below.
  EXPECT_GE(vms.min_booted(), bounds.replicas - bounds.max_unavailable);
  EXPECT_TRUE(monitor.Violations().empty()) << StrJoin(monitor.Violations(), "\n");
  EXPECT_GT(monitor.Samples(), 10);
  std::printf(
      "apply to %d ready: %s; rolling update with kill -9 of the controller (at %d updated) and "
      "of sim-%d: %s; %d API samples, ready >= %d, instances <= %d; VMs running <= %d, "
      "booted >= %d\n",
      bounds.replicas, absl::FormatDuration(to_ready).c_str(), updated_at_controller_kill, victim,
      absl::FormatDuration(rollout).c_str(), monitor.Samples(), monitor.MinReady(),
      monitor.MaxInstances(), vms.max_running(), vms.min_booted());
}

// The issue's range: 3 to 20 agents.
INSTANTIATE_TEST_SUITE_P(
    Fleets, SimulatedFleetTest,
    ::testing::Values(
        Fleet{.agents = 3, .bounds = {.replicas = 6, .max_surge = 2, .max_unavailable = 1}},
        Fleet{.agents = 20, .bounds = {.replicas = 30, .max_surge = 5, .max_unavailable = 3}}),
    [](const ::testing::TestParamInfo<Fleet>& info) {
      return StrCat(info.param.agents, "Agents");
    });

}  // namespace
}  // namespace nanoplane::e2e
