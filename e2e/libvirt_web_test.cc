// End to end with real VMs: `nanoplane up --test-guest` (the controller and a
// local agent booting the Linux test guest through libvirtd; or Nanos images
// of examples/webserver when NANOS_RELEASE_DIR is set), a 3-replica web
// Unikernel applied with the CLI, every instance answering HTTP on its
// forwarded port, a rolling update watched by `nanoplane rollout status` with
// availability never below replicas - maxUnavailable, `rollout undo` back to
// the first template, and delete removing the VMs. Skipped when libvirtd does
// not answer on qemu:///system (scripts/libvirtd start).

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

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

// Under TCG on 2 cores a test guest takes 3 to 8 s to answer; rollouts here
// boot one VM at a time.
constexpr absl::Duration kReadyTimeout = absl::Seconds(150);
constexpr RolloutBounds kBounds{.replicas = 3, .max_surge = 1, .max_unavailable = 0};

// What runs in the VMs: the Linux test guest, or (with NANOS_RELEASE_DIR) the
// example web server as a Nanos unikernel.
struct Guest {
  std::string label;
  std::string image;  // the manifest's image: tuples, then args: [ARGS]
  std::vector<std::string> args, new_args;
  std::string probe_path, body;
};

Guest TestGuest() {
  return {.label = "TestGuest",
          .image = "      program: /np-test-guest\n",
          .args = {"np.mode=http"},
          .new_args = {"np.mode=http", "np.v=2"},
          .probe_path = "/",
          .body = agent::testing::kTestGuestBody};
}

// REQUIRES: `program` is the static build of examples/webserver.
Guest NanosWebServer(const std::string& program) {
  return {
      .label = "Nanos",
      .image = StrCat("      program: /webserver\n      source:\n        path: ", program, "\n"),
      .args = {"-port", "8080"},
      .new_args = {"-port", "8080", "-v", "2"},  // the server ignores -v
      .probe_path = "/healthz",
      .body = "hello from nanoplane"};
}

std::string Manifest(const std::string& name, const Guest& guest,
                     const std::vector<std::string>& args) {
  std::vector<std::string> quoted;
  for (const std::string& arg : args) {
    quoted.push_back(StrCat("\"", arg, "\""));
  }
  return StrCat(R"(apiVersion: nanoplane.dev/v1alpha1
kind: Unikernel
metadata:
  name: )",
                name, R"(
spec:
  replicas: 3
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  template:
    image:
)",
                guest.image, "      args: [", StrJoin(quoted, ", "), R"(]
    resources:
      memory: 128Mi
      cpus: 1
    ports:
      - name: http
        port: 8080
    readinessProbe:
      httpGet:
        path: )",
                guest.probe_path, R"(
        port: http
      periodSeconds: 1
)");
}

class LibvirtWebTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    NP_SKIP_UNLESS_LIBVIRTD();
    const bool nanos = GetParam();
    const char* release = std::getenv("NANOS_RELEASE_DIR");
    if (nanos && (release == nullptr || *release == '\0')) {
      GTEST_SKIP() << "set NANOS_RELEASE_DIR to a Nanos release to run this with Nanos";
    }
    dir_ = MakeTempDir("np-e2e-libvirt");
    ASSERT_FALSE(dir_.empty());
    // QEMU runs as another user and must reach the VMs' files under it.
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
    name_ = StrCat("e2e", getpid(), nanos ? "n" : "t");
    if (nanos) {
      const std::string program = dir_ + "/webserver";
      absl::StatusOr<CommandResult> built = RunCommand(
          {"cc", "-static", "-O2", "-o", program, NP_SOURCE_DIR "/examples/webserver/webserver.c"},
          absl::Seconds(120));
      ASSERT_TRUE(built.ok() && built->exit_code == 0) << (built.ok() ? built->output : "");
      guest_ = NanosWebServer(program);
      up_flags_ = {"--nanos-dir", release};
    } else {
      // Built once per machine and shared with the agent's libvirt tests.
      const std::string guest_dir = (fs::temp_directory_path() / "nanoplane-test-guest").string();
      absl::StatusOr<agent::testing::TestGuest> built = agent::testing::MakeTestGuest(guest_dir);
      ASSERT_TRUE(built.ok()) << built.status();
      guest_ = TestGuest();
      up_flags_ = {"--test-guest", guest_dir};
    }
    api_ = StrCat("127.0.0.1:", FreePort());
  }

  void TearDown() override {
    if (up_) {
      up_->Kill9();
    }
    // Every domain this test made goes, whatever happened above.
    RemoveDomains(name_ + "-");
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

  void Apply(const std::vector<std::string>& args) {
    const std::string path = dir_ + "/web.yaml";
    ASSERT_TRUE(WriteFile(path, Manifest(name_, guest_, args)));
    absl::StatusOr<CommandResult> applied = cli().Run({"apply", "-f", path});
    ASSERT_TRUE(applied.ok() && applied->exit_code == 0)
        << (applied.ok() ? applied->output : applied.status().ToString());
  }

  // Waits until every replica is ready on the update revision with `args`.
  void WaitRolledOut(const std::vector<std::string>& args, UnikernelView& view) {
    ASSERT_TRUE(WaitFor(
        [&] {
          absl::StatusOr<UnikernelView> got = cli().Get(name_);
          if (got.ok()) {
            view = *got;
          }
          return got.ok() && got->RolledOut() && got->args == args;
        },
        kReadyTimeout, absl::Milliseconds(200)))
        << view.ready << " ready, " << view.updated << " updated; " << up_->Output();
  }

  void ExpectEveryInstanceAnswers(const UnikernelView& view) {
    for (const InstanceView& instance : view.instances) {
      ASSERT_GT(instance.host_port, 0) << instance.name;
      EXPECT_NE(HttpGet(instance.host_port).find(guest_.body), std::string::npos)
          << instance.name << " on 127.0.0.1:" << instance.host_port;
    }
  }

  Cli cli() const { return Cli(api_); }

  std::string dir_, name_, api_;
  Guest guest_;
  std::vector<std::string> up_flags_;  // how `nanoplane up` runs the guest
  std::unique_ptr<Process> up_;
};

TEST_P(LibvirtWebTest, ApplyCurlRollOutAndUndo) {
  std::vector<std::string> argv = {CliBinary(),     "up", "--data-dir", dir_ + "/data",
                                   "--api-address", api_};
  argv.insert(argv.end(), up_flags_.begin(), up_flags_.end());
  auto up = Process::Start(argv, dir_ + "/up.log");
  ASSERT_TRUE(up.ok()) << up.status();
  up_ = std::move(*up);
  ASSERT_TRUE(up_->WaitForOutput("nanoplane is up", absl::Seconds(60)).ok()) << up_->Output();

  const absl::Time applied = absl::Now();
  ASSERT_NO_FATAL_FAILURE(Apply(guest_.args));
  UnikernelView view;
  ASSERT_NO_FATAL_FAILURE(WaitRolledOut(guest_.args, view));
  const absl::Duration to_ready = absl::Now() - applied;
  ASSERT_NO_FATAL_FAILURE(ExpectEveryInstanceAnswers(view));
  const int64_t first_revision = view.update_revision;

  const Cli client = cli();
  RolloutMonitor monitor(client, name_, kBounds, absl::Milliseconds(100));
  const absl::Time updated = absl::Now();
  ASSERT_NO_FATAL_FAILURE(Apply(guest_.new_args));
  absl::StatusOr<CommandResult> status =
      cli().Run({"rollout", "status", name_, "--timeout", "150"}, absl::Seconds(160));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->exit_code, 0) << status->output;
  ASSERT_NO_FATAL_FAILURE(WaitRolledOut(guest_.new_args, view));
  const absl::Duration rollout = absl::Now() - updated;
  EXPECT_NE(view.update_revision, first_revision);
  ASSERT_NO_FATAL_FAILURE(ExpectEveryInstanceAnswers(view));

  const absl::Time undone = absl::Now();
  absl::StatusOr<CommandResult> undo = cli().Run({"rollout", "undo", name_});
  ASSERT_TRUE(undo.ok() && undo->exit_code == 0) << (undo.ok() ? undo->output : "");
  ASSERT_NO_FATAL_FAILURE(WaitRolledOut(guest_.args, view));
  const absl::Duration undo_time = absl::Now() - undone;
  ASSERT_NO_FATAL_FAILURE(ExpectEveryInstanceAnswers(view));
  monitor.Stop();
  EXPECT_TRUE(monitor.Violations().empty()) << StrJoin(monitor.Violations(), "\n");
  EXPECT_GT(monitor.Samples(), 10);

  absl::StatusOr<CommandResult> deleted = cli().Run({"delete", "unikernel", name_});
  ASSERT_TRUE(deleted.ok() && deleted->exit_code == 0) << (deleted.ok() ? deleted->output : "");
  EXPECT_TRUE(WaitFor([&] { return Domains(name_ + "-").empty(); }, absl::Seconds(60),
                      absl::Milliseconds(500)))
      << StrJoin(Domains(name_ + "-"), " ");
  EXPECT_TRUE(WaitFor([&] { return !cli().Get(name_).ok(); }, absl::Seconds(30)));
  std::printf(
      "%s, 3 replicas: apply to all ready %s; rolling update (maxSurge 1, "
      "maxUnavailable 0) %s; undo %s; %d samples, ready >= %d, instances <= %d\n",
      guest_.label.c_str(), absl::FormatDuration(to_ready).c_str(),
      absl::FormatDuration(rollout).c_str(), absl::FormatDuration(undo_time).c_str(),
      monitor.Samples(), monitor.MinReady(), monitor.MaxInstances());
}

// false: the Linux test guest; true: Nanos (skipped without NANOS_RELEASE_DIR).
INSTANTIATE_TEST_SUITE_P(Guests, LibvirtWebTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Nanos" : "TestGuest";
                         });

}  // namespace
}  // namespace nanoplane::e2e
