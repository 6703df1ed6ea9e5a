// The controller app over the real adapters: GrpcAgentHub on 127.0.0.1, three
// agents dialling it through GrpcControllerLink (simulated VMs that run what
// they are assigned), SqliteStore in a temp dir, /readyz and /metrics over HTTP.

#include <cpprest/http_client.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "agent/adapters/grpc_controller_link.h"
#include "common/http/http_endpoints.h"
#include "controller/adapters/grpc_agent_hub.h"
#include "controller/adapters/sqlite_store.h"
#include "controller/app/controller.h"
#include "controller/app/controller_test_harness.h"
#include "controller/app/simulated_host.h"

namespace nanoplane::controller::app::testing {
namespace {

namespace fs = std::filesystem;
constexpr char kToken[] = "join-secret";

// An agent process in miniature: a SimulatedHost behind a real gRPC link.
class GrpcSimulatedAgent {
 public:
  GrpcSimulatedAgent(const std::string& address, SimulatedHostOptions options)
      : host_(std::move(options)) {
    auto link = agent::GrpcControllerLink::Create({.address = address,
                                                   .initial_backoff = std::chrono::milliseconds(50),
                                                   .max_backoff = std::chrono::milliseconds(200)});
    EXPECT_TRUE(link.ok()) << link.status();
    link_ = *std::move(link);
    link_->Start(
        {.hello =
             [this] {
               agent::v1::Hello hello = host_.Hello();
               hello.set_join_token(kToken);
               return hello;
             },
         .on_assignment =
             [this](const agent::v1::Assignment& assignment) {
               host_.Apply(assignment, absl::Now());
               link_->Report(host_.Report());
             },
         .on_log_request = [](const agent::v1::LogRequest&,
                              std::shared_ptr<agent::LogSink> sink) { sink->End("none"); }});
    ticker_ = std::thread([this] {
      while (!stopping_) {
        if (host_.Tick(absl::Now())) {
          link_->Report(host_.Report());
        }
        absl::SleepFor(absl::Milliseconds(10));
      }
    });
  }
  ~GrpcSimulatedAgent() {
    stopping_ = true;
    ticker_.join();
    link_.reset();
  }
  SimulatedHost& host() { return host_; }

 private:
  SimulatedHost host_;
  std::unique_ptr<agent::GrpcControllerLink> link_;
  std::atomic<bool> stopping_{false};
  std::thread ticker_;
};

std::pair<int, std::string> HttpGet(const std::string& address, const std::string& path) {
  web::http::client::http_client client("http://" + address);
  auto response = client.request(web::http::methods::GET, path).get();
  return {response.status_code(), response.extract_string().get()};
}

fs::path TempDir() {
  return fs::temp_directory_path() / ("np-controller-grpc-" + std::to_string(::getpid()) + "-" +
                                      std::to_string(absl::ToUnixNanos(absl::Now())));
}

// All `replicas` instances of `name` Running and ready, as the status says.
bool AllRunning(ports::Store& store, const std::string& name, int replicas) {
  absl::StatusOr<v1alpha1::Unikernel> object = store.Get({.name = name});
  if (!object.ok() || object->status().ready_replicas() != replicas ||
      object->status().instances_size() != replicas) {
    return false;
  }
  for (const v1alpha1::InstanceStatus& instance : object->status().instances()) {
    if (instance.phase() != v1alpha1::RUNNING) {
      return false;
    }
  }
  return true;
}

std::set<std::string> RunningNames(const std::vector<std::unique_ptr<GrpcSimulatedAgent>>& agents) {
  std::set<std::string> names;
  for (const auto& agent : agents) {
    for (const std::string& name : agent->host().Running()) {
      EXPECT_TRUE(names.insert(name).second) << name << " runs twice";
    }
  }
  return names;
}

TEST(ControllerGrpcTest, ThreeReplicasRunOnThreeAgentsOverGrpcWithSqlite) {
  fs::path dir = TempDir();
  auto store = SqliteStore::Open({.data_dir = dir.string(), .synchronous_full = false});
  ASSERT_TRUE(store.ok()) << store.status();
  auto hub = GrpcAgentHub::Start({.join_token = kToken});
  ASSERT_TRUE(hub.ok()) << hub.status();
  std::vector<std::unique_ptr<GrpcSimulatedAgent>> agents;
  for (int i = 1; i <= 3; ++i) {
    std::string name = "host-" + std::to_string(i);
    agents.push_back(std::make_unique<GrpcSimulatedAgent>((*hub)->address(),
                                                          SimulatedHostOptions{.name = name}));
  }
  ASSERT_TRUE(WaitFor([&] { return (*hub)->Hosts().size() == 3; }));

  MetricsRegistry metrics;
  Controller controller(**store, **hub, metrics, FastOptions());
  auto endpoints = HttpEndpoints::Start(
      {.address = "127.0.0.1:0", .ready = [&] { return controller.ReadyReason(); }}, metrics);
  ASSERT_TRUE(endpoints.ok()) << endpoints.status();
  EXPECT_EQ(HttpGet((*endpoints)->address(), "/readyz").first, 503);
  controller.Start();
  ASSERT_TRUE(WaitFor([&] { return controller.Ready(); }));
  EXPECT_EQ(HttpGet((*endpoints)->address(), "/readyz").first, 200);

  ASSERT_TRUE((*store)->Create(MakeUnikernel("web", 3)).ok());
  ASSERT_TRUE(WaitFor([&] { return AllRunning(**store, "web", 3); }, absl::Seconds(15)));
  for (const auto& agent : agents) {
    EXPECT_EQ(agent->host().Running().size(), 1u) << agent->host().name();
  }
  auto [code, text] = HttpGet((*endpoints)->address(), "/metrics");
  EXPECT_EQ(code, 200);
  EXPECT_NE(text.find("nanoplane_reconcile_duration_seconds"), std::string::npos);
  EXPECT_NE(text.find("nanoplane_workqueue_depth"), std::string::npos);
  ASSERT_TRUE(WaitFor([&] {
    return HttpGet((*endpoints)->address(), "/metrics")
               .second.find("nanoplane_instances{phase=\"Running\"} 3") != std::string::npos;
  }));

  controller.Stop();
  agents.clear();
  hub->reset();
  store->reset();
  fs::remove_all(dir);
}

// kill -9 of the controller process, as far as one process can: the hub and
// the controller go away without a word, a new hub takes the same address, a
// new controller opens the same store. The agents reconnect and say hello with
// what they run; nothing is started twice and nothing is lost.
TEST(ControllerGrpcTest, ARestartedControllerAndHubNeitherDuplicateNorLoseInstances) {
  fs::path dir = TempDir();
  auto store = SqliteStore::Open({.data_dir = dir.string(), .synchronous_full = false});
  ASSERT_TRUE(store.ok()) << store.status();
  auto hub = GrpcAgentHub::Start({.join_token = kToken});
  ASSERT_TRUE(hub.ok()) << hub.status();
  std::string address = (*hub)->address();
  std::vector<std::unique_ptr<GrpcSimulatedAgent>> agents;
  for (int i = 1; i <= 3; ++i) {
    agents.push_back(std::make_unique<GrpcSimulatedAgent>(
        address, SimulatedHostOptions{.name = "host-" + std::to_string(i)}));
  }
  ASSERT_TRUE(WaitFor([&] { return (*hub)->Hosts().size() == 3; }));
  auto metrics = std::make_unique<MetricsRegistry>();
  auto controller = std::make_unique<Controller>(**store, **hub, *metrics, FastOptions());
  controller->Start();
  ASSERT_TRUE((*store)->Create(MakeUnikernel("web", 5)).ok());
  ASSERT_TRUE(WaitFor([&] { return AllRunning(**store, "web", 5); }, absl::Seconds(15)));
  std::set<std::string> before = RunningNames(agents);
  ASSERT_EQ(before.size(), 5u);

  controller.reset();
  hub->reset();
  auto new_hub = GrpcAgentHub::Start({.address = address, .join_token = kToken});
  ASSERT_TRUE(new_hub.ok()) << new_hub.status();
  metrics = std::make_unique<MetricsRegistry>();
  controller = std::make_unique<Controller>(**store, **new_hub, *metrics, FastOptions());
  controller->Start();
  ASSERT_TRUE(WaitFor([&] { return controller->Ready(); }));
  // Scale to 6 so that the new controller must assign, then back to 5.
  absl::StatusOr<v1alpha1::Unikernel> object = (*store)->Get({.name = "web"});
  ASSERT_TRUE(object.ok());
  object->mutable_spec()->set_replicas(6);
  ASSERT_TRUE((*store)->Update(*object).ok());
  ASSERT_TRUE(WaitFor([&] { return AllRunning(**store, "web", 6); }, absl::Seconds(15)));
  std::set<std::string> after = RunningNames(agents);
  EXPECT_EQ(after.size(), 6u);
  for (const std::string& name : before) {
    EXPECT_TRUE(after.contains(name)) << name << " was lost";
  }

  controller.reset();
  agents.clear();
  new_hub->reset();
  store->reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace nanoplane::controller::app::testing
