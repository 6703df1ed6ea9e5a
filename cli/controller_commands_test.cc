// The controller commands against a real ControllerService over loopback gRPC,
// with a FakeStore behind it.

#include "cli/controller_commands.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/sha256.h"
#include "controller/api/test_server.h"
#include "controller/core/convert.h"
#include "gtest/gtest.h"

namespace nanoplane::cli {
namespace {

namespace fs = std::filesystem;
namespace pb = ::nanoplane::v1alpha1;
using controller::api::ApiTestServer;

constexpr char kWeb[] = R"(apiVersion: nanoplane.dev/v1alpha1
kind: Unikernel
metadata: {name: web}
spec:
  replicas: 2
  template:
    image:
      program: /web
      source: {path: bin/web}
)";

constexpr char kDb[] = R"(apiVersion: nanoplane.dev/v1alpha1
kind: Unikernel
metadata: {name: db}
spec:
  template:
    image: {program: /db, source: {sha256: "%s"}}
)";

class ControllerCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("cli-ctl-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "manifests" / "bin");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }

  CommandContext Context() {
    out_.str("");
    err_.str("");
    return CommandContext{.stub = *stub_, .ns = "default", .out = out_, .err = err_};
  }

  // A manifests directory: web with a local program, db with a stored one.
  std::string Manifests() {
    Write(dir_ / "manifests" / "bin" / "web", "web program");
    Write(dir_ / "manifests" / "web.yaml", kWeb);
    std::string db = kDb;
    db.replace(db.find("%s"), 2, Sha256Hex("db program"));
    Write(dir_ / "manifests" / "sub" / "db.yaml", db);
    apiv1::ApplyRequest upload;  // db's blob, as an earlier apply would have left it
    upload.add_artifacts()->set_sha256(Sha256Hex("db program"));
    upload.mutable_artifacts(0)->set_data("db program");
    apiv1::ApplyResponse ignored;
    grpc::ClientContext client;
    EXPECT_TRUE(stub_->Apply(&client, upload, &ignored).ok());
    return (dir_ / "manifests").string();
  }

  void SetStatus(const std::string& name, const std::function<void(pb::UnikernelStatus&)>& edit) {
    pb::Unikernel object = server_.store().Get({.name = name}).value();
    edit(*object.mutable_status());
    ASSERT_TRUE(server_.store().UpdateStatus(object).ok());
  }

  fs::path dir_;
  ApiTestServer server_{{.poll_interval = absl::Milliseconds(20)}};
  std::unique_ptr<apiv1::Controller::Stub> stub_ = server_.NewStub();
  std::ostringstream out_, err_;
};

TEST_F(ControllerCommandsTest, ApplyUploadsLocalSourcesAndAppliesADirectory) {
  std::string manifests = Manifests();
  ASSERT_EQ(RunApply(Context(), {manifests}), 0) << err_.str();
  EXPECT_EQ(out_.str(),
            "unikernel.nanoplane.dev/db created\nunikernel.nanoplane.dev/web created\n");
  pb::Unikernel web = server_.store().Get({.name = "web"}).value();
  EXPECT_EQ(web.spec().template_().image().source().sha256(), Sha256Hex("web program"));
  EXPECT_EQ(web.spec().template_().image().source().path(), "");
  EXPECT_TRUE(server_.artifacts().Has(Sha256Hex("web program")).value());

  ASSERT_EQ(RunApply(Context(), {manifests}), 0);
  EXPECT_EQ(out_.str(),
            "unikernel.nanoplane.dev/db unchanged\nunikernel.nanoplane.dev/web unchanged\n");
}

TEST_F(ControllerCommandsTest, ApplyListsEveryErrorAndAppliesNothing) {
  std::string manifests = Manifests();
  Write(dir_ / "manifests" / "bad.yaml",
        "apiVersion: nanoplane.dev/v1alpha1\nkind: Unikernel\nmetadata: {name: bad}\n"
        "spec: {replicas: -1, template: {image: {program: /x, sourse: {}}}}\n");
  EXPECT_EQ(RunApply(Context(), {manifests}), 1);
  EXPECT_NE(err_.str().find("bad.yaml[0] spec.replicas: "), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find("bad.yaml[0] spec.template.image.sourse: "), std::string::npos);
  EXPECT_EQ(server_.store().List({}).value().items.size(), 0u);

  fs::remove(dir_ / "manifests" / "bad.yaml");
  fs::remove(dir_ / "manifests" / "bin" / "web");
  EXPECT_EQ(RunApply(Context(), {manifests}), 1);
  EXPECT_NE(err_.str().find("web.yaml[0] spec.template.image.source.path: "), std::string::npos)
      << err_.str();
  EXPECT_EQ(server_.store().List({}).value().items.size(), 0u);
}

TEST_F(ControllerCommandsTest, GetPrintsKubectlLikeTables) {
  ASSERT_EQ(RunApply(Context(), {Manifests()}), 0);
  SetStatus("web", [](pb::UnikernelStatus& s) {
    s.set_ready_replicas(1);
    s.set_updated_replicas(2);
    s.set_available_replicas(1);
    pb::InstanceStatus* i = s.add_instances();
    i->set_name("web-1-abcde");
    i->set_host("host-a");
    i->set_revision(1);
    i->set_phase(pb::RUNNING);
    i->set_ready(true);
    i->set_address("10.0.0.5");
  });
  server_.hub().SetHosts(
      {controller::api::MakeHostSession("host-a", {{"web-1-abcde", "default/web"}})});

  ASSERT_EQ(RunGet(Context(), "unikernels", "", GetOutput::kTable), 0) << err_.str();
  std::string table = out_.str();
  EXPECT_EQ(table.substr(0, table.find('\n')),
            "NAME   DESIRED   READY   UP-TO-DATE   AVAILABLE   AGE");
  EXPECT_EQ(table.substr(table.find("web")).substr(0, 40),
            "web    2         1       2            1 ");

  ASSERT_EQ(RunGet(Context(), "instances", "", GetOutput::kTable), 0);
  EXPECT_EQ(out_.str().substr(0, out_.str().find('\n')),
            "NAME          UNIKERNEL   HOST     REVISION   PHASE     READY   RESTARTS   ADDRESS    "
            "AGE");
  EXPECT_NE(out_.str().find("web-1-abcde   web         host-a   1          Running   true    0"),
            std::string::npos)
      << out_.str();

  ASSERT_EQ(RunGet(Context(), "hosts", "", GetOutput::kTable), 0);
  EXPECT_EQ(out_.str().substr(0, out_.str().find('\n')),
            "NAME     STATE   ACCEL   CPUS   MEMORY   INSTANCES   AGE");
  EXPECT_NE(out_.str().find("host-a   Ready   TCG     4      8Gi      1 "), std::string::npos);

  ASSERT_EQ(RunGet(Context(), "uk", "web", GetOutput::kYaml), 0);
  EXPECT_NE(out_.str().find("kind: Unikernel\n"), std::string::npos) << out_.str();
  EXPECT_EQ(RunGet(Context(), "uk", "nope", GetOutput::kTable), 1);
  EXPECT_EQ(RunGet(Context(), "pods", "", GetOutput::kTable), 1);
}

TEST_F(ControllerCommandsTest, DescribeShowsSpecConditionsInstancesAndEvents) {
  ASSERT_EQ(RunApply(Context(), {Manifests()}), 0);
  SetStatus("web", [](pb::UnikernelStatus& s) {
    pb::Condition* c = s.add_conditions();
    c->set_type("Available");
    c->set_status(pb::TRUE);
    c->set_reason("MinimumReplicasAvailable");
    s.add_instances()->set_name("web-1-abcde");
  });
  ASSERT_TRUE(server_.store()
                  .RecordEvent({.object = {.name = "web"},
                                .reason = "Scheduled",
                                .message = "web-1-abcde on host-a",
                                .last_time = absl::Now()})
                  .ok());
  ASSERT_EQ(RunDescribe(Context(), "web"), 0) << err_.str();
  std::string text = out_.str();
  EXPECT_NE(text.find("Name:               web\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  Program:          /web\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  Available   True     MinimumReplicasAvailable"), std::string::npos)
      << text;
  EXPECT_NE(text.find("  web-1-abcde"), std::string::npos);
  EXPECT_NE(text.find("  Normal   Scheduled"), std::string::npos) << text;
}

TEST_F(ControllerCommandsTest, RolloutStatusExitsZeroWhenCompleteAndOneOnTheDeadline) {
  ASSERT_EQ(RunApply(Context(), {Manifests()}), 0);
  std::thread progress([&] {
    for (int available : {1, 2}) {
      absl::SleepFor(absl::Milliseconds(50));
      SetStatus("web", [&](pb::UnikernelStatus& s) {
        s.set_observed_generation(1);
        s.set_replicas(2);
        s.set_updated_replicas(2);
        s.set_available_replicas(available);
      });
    }
  });
  int code = RunRollout(Context(), {.verb = "status", .name = "web"});
  progress.join();
  EXPECT_EQ(code, 0) << err_.str();
  EXPECT_NE(out_.str().find("Waiting for unikernel \"web\" rollout to finish: 1 of 2 updated "
                            "replicas are available...\n"),
            std::string::npos)
      << out_.str();
  EXPECT_NE(out_.str().find("unikernel \"web\" successfully rolled out\n"), std::string::npos);

  SetStatus("web", [](pb::UnikernelStatus& s) {
    s.set_available_replicas(1);
    pb::Condition* c = s.add_conditions();
    c->set_type("Progressing");
    c->set_status(pb::FALSE);
    c->set_reason("ProgressDeadlineExceeded");
  });
  EXPECT_EQ(RunRollout(Context(), {.verb = "status", .name = "web"}), 1);
  EXPECT_NE(err_.str().find("exceeded its progress deadline"), std::string::npos);
  EXPECT_EQ(RunRollout(Context(), {.verb = "status", .name = "nope"}), 1);

  SetStatus("web", [](pb::UnikernelStatus& s) { s.clear_conditions(); });
  EXPECT_EQ(
      RunRollout(Context(), {.verb = "status", .name = "web", .timeout = std::chrono::seconds(1)}),
      1);
  EXPECT_NE(err_.str().find("timed out waiting for the condition"), std::string::npos)
      << err_.str();
}

TEST_F(ControllerCommandsTest, ScaleUndoAndDelete) {
  ASSERT_EQ(RunApply(Context(), {Manifests()}), 0);
  ASSERT_EQ(RunScale(Context(), "web", 4), 0);
  EXPECT_EQ(out_.str(), "unikernel.nanoplane.dev/web scaled\n");
  EXPECT_EQ(server_.store().Get({.name = "web"}).value().spec().replicas(), 4);
  EXPECT_EQ(RunScale(Context(), "web", -1), 1);

  EXPECT_EQ(RunRollout(Context(), {.verb = "undo", .name = "web"}), 1);
  EXPECT_NE(err_.str().find("no rollout history"), std::string::npos) << err_.str();
  ASSERT_EQ(RunRollout(Context(), {.verb = "pause", .name = "web"}), 0);
  EXPECT_EQ(out_.str(), "unikernel \"web\" paused\n");

  ASSERT_EQ(RunDelete(Context(), "", {(dir_ / "manifests").string()}), 0);
  EXPECT_NE(out_.str().find("unikernel.nanoplane.dev \"web\" deleted"), std::string::npos);
  EXPECT_EQ(RunDelete(Context(), "nope", {}), 1);
}

// As with kubectl: re-applying a manifest keeps a scale or pause it does not
// speak of (db's manifest has no replicas), and sets what it does (web: 2).
TEST_F(ControllerCommandsTest, ReapplyKeepsTheScaleAndPauseTheManifestLeavesOut) {
  const std::string manifests = Manifests();
  ASSERT_EQ(RunApply(Context(), {manifests}), 0) << err_.str();
  ASSERT_EQ(RunScale(Context(), "db", 5), 0);
  ASSERT_EQ(RunScale(Context(), "web", 4), 0);
  ASSERT_EQ(RunRollout(Context(), {.verb = "pause", .name = "db"}), 0);

  ASSERT_EQ(RunApply(Context(), {manifests}), 0) << err_.str();
  EXPECT_EQ(out_.str(),
            "unikernel.nanoplane.dev/db unchanged\nunikernel.nanoplane.dev/web configured\n");
  pb::Unikernel db = server_.store().Get({.name = "db"}).value();
  EXPECT_EQ(db.spec().replicas(), 5);
  EXPECT_TRUE(db.spec().paused());
  EXPECT_EQ(server_.store().Get({.name = "web"}).value().spec().replicas(), 2);
}

TEST_F(ControllerCommandsTest, LogsPrintTheFirstInstancesConsole) {
  ASSERT_EQ(RunApply(Context(), {Manifests()}), 0);
  server_.hub().SetHosts({controller::api::MakeHostSession("h", {{"web-1-aaaaa", "default/web"}})});
  server_.hub().SetLog("h", "web-1-aaaaa", "booting\nlistening on :80\n");
  ASSERT_EQ(RunLogs(Context(), "web", "", false), 0) << err_.str();
  EXPECT_EQ(out_.str(), "booting\nlistening on :80\n");
}

// Runs `nanoplane ARGS` through the registered flags; returns the exit code.
int RunCommandLine(std::vector<std::string> args, std::string& out) {
  CLI::App app{"nanoplane"};
  RegisterControllerCommands(app);
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  std::ostringstream captured;
  std::streambuf* saved = std::cout.rdbuf(captured.rdbuf());
  int code = 0;
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    code = e.get_exit_code();
  }
  std::cout.rdbuf(saved);
  out = captured.str();
  return code;
}

TEST_F(ControllerCommandsTest, FlagsReachTheCommands) {
  std::string manifests = Manifests(), out;
  std::string addr = server_.address();
  ASSERT_EQ(RunCommandLine({"apply", "-f", manifests, "--controller", addr, "-n", "shop"}, out), 0);
  EXPECT_TRUE(server_.store().Get({.ns = "shop", .name = "web"}).ok());
  ASSERT_EQ(RunCommandLine({"get", "uk/web", "-n", "shop", "--controller", addr}, out), 0);
  EXPECT_EQ(out.substr(0, 4), "NAME");
  ASSERT_EQ(RunCommandLine({"scale", "unikernel", "web", "--replicas", "3", "-n", "shop",
                            "--controller", addr},
                           out),
            0);
  EXPECT_EQ(server_.store().Get({.ns = "shop", .name = "web"}).value().spec().replicas(), 3);
  ASSERT_EQ(RunCommandLine({"rollout", "pause", "uk/web", "-n", "shop", "--controller", addr}, out),
            0);
  EXPECT_EQ(out, "unikernel \"web\" paused\n");
  EXPECT_EQ(
      RunCommandLine({"rollout", "status", "web", "--no-watch", "-n", "shop", "--controller", addr},
                     out),
      1);                                                                        // not observed yet
  EXPECT_EQ(RunCommandLine({"describe", "web", "--controller", addr}, out), 1);  // not in default
}

TEST(ResolveControllerAddressTest, FlagThenEnvironmentThenConfigFile) {
  fs::path config = fs::path(::testing::TempDir()) / "np-config.yaml";
  std::ofstream(config) << "controller: 10.0.0.1:7443\n";
  unsetenv("NANOPLANE_CONTROLLER");
  EXPECT_EQ(ResolveControllerAddress("", config.string()), "10.0.0.1:7443");
  EXPECT_EQ(ResolveControllerAddress("", "/nonexistent.yaml"), kDefaultController);
  setenv("NANOPLANE_CONTROLLER", "10.0.0.2:1", 1);
  EXPECT_EQ(ResolveControllerAddress("", config.string()), "10.0.0.2:1");
  EXPECT_EQ(ResolveControllerAddress("x:1", config.string()), "x:1");
  unsetenv("NANOPLANE_CONTROLLER");
  fs::remove(config);
}

}  // namespace
}  // namespace nanoplane::cli
