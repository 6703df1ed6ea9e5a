// The agent protocol end to end on loopback: the controller's hub (this
// adapter) and the agent's link (agent/adapters/grpc_controller_link).

#include "controller/adapters/grpc_agent_hub.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/adapters/grpc_controller_link.h"
#include "common/sha256.h"
#include "common/testing/net_wait.h"

namespace nanoplane::controller {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using ::nanoplane::test_support::WaitFor;

// A one-blob artifact store, enough to serve FetchArtifact.
class OneBlobStore : public ports::ArtifactStore {
 public:
  explicit OneBlobStore(std::string content) : content_(std::move(content)) {}
  std::string digest() const { return Sha256Hex(content_); }

  class Reader : public ports::BlobReader {
   public:
    explicit Reader(std::string content) : content_(std::move(content)) {}
    int64_t size() const override { return static_cast<int64_t>(content_.size()); }
    absl::StatusOr<std::string> Read(size_t max) override {
      std::string out = content_.substr(offset_, max);
      offset_ += out.size();
      return out;
    }

   private:
    std::string content_;
    size_t offset_ = 0;
  };

  absl::StatusOr<std::unique_ptr<ports::BlobWriter>> StartPut(const std::string&) override {
    return absl::UnimplementedError("read only");
  }
  absl::StatusOr<std::unique_ptr<ports::BlobReader>> Get(const std::string& digest) override {
    if (digest != this->digest()) {
      return absl::NotFoundError("no such blob");
    }
    return std::make_unique<Reader>(content_);
  }
  absl::StatusOr<bool> Has(const std::string& digest) override { return digest == this->digest(); }
  absl::StatusOr<int64_t> Size(const std::string&) override { return content_.size(); }
  absl::StatusOr<std::vector<std::string>> List() override { return std::vector{digest()}; }
  absl::StatusOr<ports::GcResult> GarbageCollect(const std::set<std::string>&,
                                                 absl::Duration) override {
    return ports::GcResult{};
  }

 private:
  std::string content_;
};

// An agent with scripted behaviour: it runs `instances` and records assignments.
struct TestAgent {
  explicit TestAgent(const std::string& address, const std::string& token = "secret",
                     const std::string& ca_file = "") {
    link = *agent::GrpcControllerLink::Create(
        {.address = address, .ca_file = ca_file, .initial_backoff = 50ms, .max_backoff = 200ms});
    link->Start(
        {.hello =
             [this, token] {
               agent::v1::Hello hello;
               hello.set_host("host-a");
               hello.set_join_token(token);
               (*hello.mutable_labels())["zone"] = "a";
               hello.mutable_capacity()->set_memory_bytes(8LL << 30);
               hello.set_accelerator(agent::v1::TCG);
               for (const auto& name : instances) {
                 hello.add_instances()->mutable_identity()->set_name(name);
               }
               return hello;
             },
         .on_assignment =
             [this](const agent::v1::Assignment& a) {
               std::lock_guard<std::mutex> guard(mutex);
               assignments.push_back(a);
             },
         .on_log_request =
             [](const agent::v1::LogRequest& request, std::shared_ptr<agent::LogSink> sink) {
               std::thread([request, sink] {
                 if (request.instance() != "web-1") {
                   sink->End("no instance " + request.instance());
                   return;
                 }
                 sink->Send("hello ", 0);
                 sink->Send("world\n", 6);
                 while (request.follow() && !sink->cancelled()) {
                   sink->Send("tick\n", 12);
                   std::this_thread::sleep_for(10ms);
                 }
                 sink->End();
               }).detach();
             }});
  }
  std::vector<agent::v1::Assignment> Assignments() {
    std::lock_guard<std::mutex> guard(mutex);
    return assignments;
  }

  std::vector<std::string> instances = {"web-1"};
  std::unique_ptr<agent::GrpcControllerLink> link;
  std::mutex mutex;
  std::vector<agent::v1::Assignment> assignments;
};

ports::SharedAssignment Instance(const std::string& name) {
  auto identity = std::make_shared<agent::v1::InstanceIdentity>();
  identity->set_name(name);
  auto tmpl = std::make_shared<v1alpha1::UnikernelTemplate>();
  tmpl->mutable_image()->set_program("/web");
  return {.identity = std::move(identity), .tmpl = std::move(tmpl)};
}

std::unique_ptr<GrpcAgentHub> StartHub(GrpcAgentHubOptions options = {}) {
  if (options.join_token.empty()) {
    options.join_token = "secret";
  }
  auto hub = GrpcAgentHub::Start(std::move(options));
  EXPECT_TRUE(hub.ok()) << hub.status();
  return std::move(*hub);
}

TEST(GrpcAgentHubTest, AnAgentSaysHelloAndGetsItsAssignmentNowAndOnEveryChange) {
  auto hub = StartHub();
  std::atomic<int> changes{0};
  hub->SetOnChange([&](const std::string&) { ++changes; });
  int64_t first = hub->Assign("host-a", {Instance("web-1")});
  TestAgent agent(hub->address());
  ASSERT_TRUE(WaitFor([&] { return agent.Assignments().size() == 1; }));
  EXPECT_EQ(agent.Assignments()[0].generation(), first);
  auto hosts = hub->Hosts();
  ASSERT_EQ(hosts.size(), 1u);
  EXPECT_TRUE(hosts[0].connected);
  EXPECT_EQ(hosts[0].hello.labels().at("zone"), "a");
  EXPECT_EQ(hosts[0].hello.join_token(), "") << "secrets are not kept";
  EXPECT_EQ(hosts[0].instances.size(), 1u);
  EXPECT_EQ(hosts[0].hello.instances_size(), 0) << "the hello's reports are kept once";
  EXPECT_GE(changes, 1);

  int64_t second = hub->Assign("host-a", {Instance("web-1"), Instance("web-2")});
  EXPECT_GT(second, first);
  ASSERT_TRUE(WaitFor([&] { return agent.Assignments().size() == 2; }));
  EXPECT_EQ(agent.Assignments()[1].instances_size(), 2);
}

TEST(GrpcAgentHubTest, ReportsReplaceTheHostsInstances) {
  auto hub = StartHub();
  TestAgent agent(hub->address());
  // Connected on the agent's side comes before the hub has taken the hello.
  ASSERT_TRUE(WaitFor([&] { return agent.link->connected() && !hub->Hosts().empty(); }));
  agent::v1::Report report;
  report.set_assignment_generation(7);
  report.add_instances()->mutable_identity()->set_name("web-2");
  report.add_instances()->mutable_identity()->set_name("web-3");
  std::shared_ptr<const ports::SessionList> before = hub->SharedHosts();
  EXPECT_EQ(hub->SharedHosts(), before) << "no change: the same list";
  hub->Assign("host-a", {Instance("web-2")});
  EXPECT_EQ(hub->SharedHosts(), before) << "an assignment changes no session";
  agent.link->Report(report);
  ASSERT_TRUE(WaitFor([&] { return hub->Hosts()[0].instances.size() == 2; }));
  EXPECT_EQ(hub->Hosts()[0].applied_generation, 7);
  std::shared_ptr<const ports::SessionList> after = hub->SharedHosts();
  EXPECT_NE(after, before) << "a report makes a new list";
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0]->instances.size(), 2u);
  EXPECT_EQ((*before)[0]->instances.size(), 1u) << "lists handed out do not change (the hello's)";
}

TEST(GrpcAgentHubTest, AWrongJoinTokenIsRefused) {
  auto hub = StartHub();
  TestAgent agent(hub->address(), "wrong");
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(hub->Hosts().empty());
}

TEST(GrpcAgentHubTest, AHostIsNotConnectedOnceItsAgentIsGoneAndReconnectsToANewController) {
  auto hub = StartHub();
  std::string address = hub->address();
  {
    TestAgent agent(address);
    ASSERT_TRUE(WaitFor([&] { return !hub->Hosts().empty() && hub->Hosts()[0].connected; }));
  }
  ASSERT_TRUE(WaitFor([&] { return !hub->Hosts()[0].connected; }));

  TestAgent agent(address);
  ASSERT_TRUE(WaitFor([&] { return hub->Hosts()[0].connected; }));
  hub.reset();  // the controller dies
  ASSERT_TRUE(WaitFor([&] { return !agent.link->connected(); }));
  auto restarted = StartHub({.address = address});
  ASSERT_TRUE(WaitFor([&] { return !restarted->Hosts().empty(); }));
  EXPECT_EQ(restarted->Hosts()[0].instances.size(), 1u) << "the hello carries every instance";
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(agent.Assignments().empty()) << "nothing is assigned before the controller decides";
}

TEST(GrpcAgentHubTest, StreamsLogsFromTheAgentAndCancelsAFollow) {
  auto hub = StartHub();
  TestAgent agent(hub->address());
  ASSERT_TRUE(WaitFor([&] { return agent.link->connected(); }));
  std::string log;
  ASSERT_TRUE(hub->StreamLogs("host-a", "web-1", 0, false,
                              [&](std::string_view chunk) {
                                log += chunk;
                                return true;
                              })
                  .ok());
  EXPECT_EQ(log, "hello world\n");

  int ticks = 0;
  ASSERT_TRUE(
      hub->StreamLogs("host-a", "web-1", 0, true,
                      [&](std::string_view chunk) { return chunk != "tick\n" || ++ticks < 3; })
          .ok());
  EXPECT_EQ(ticks, 3);

  absl::Status missing =
      hub->StreamLogs("host-a", "nope", 0, false, [](std::string_view) { return true; });
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.message().find("no instance nope"), std::string::npos);
  EXPECT_EQ(
      hub->StreamLogs("host-z", "web-1", 0, false, [](std::string_view) { return true; }).code(),
      absl::StatusCode::kNotFound);
}

TEST(GrpcAgentHubTest, ServesArtifactsByDigest) {
  std::string content(3 << 20, 'x');
  content += "tail";
  OneBlobStore store(content);
  auto hub = StartHub({.artifacts = &store});
  TestAgent agent(hub->address());
  std::string dest = testing::TempDir() + "/artifact-" + std::to_string(::getpid());
  ASSERT_TRUE(agent.link->FetchArtifact(store.digest(), dest).ok());
  EXPECT_EQ(*Sha256OfFile(dest), store.digest());
  EXPECT_EQ(agent.link->FetchArtifact(std::string(64, 'a'), dest + "2").code(),
            absl::StatusCode::kNotFound);
  fs::remove(dest);
}

TEST(GrpcAgentHubTest, SpeaksTls) {
  std::string dir = testing::TempDir() + "/tls-" + std::to_string(::getpid());
  fs::create_directories(dir);
  std::string command =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " +
      dir + "/key.pem -out " + dir + "/cert.pem 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0);
  auto hub = StartHub({.tls_cert_file = dir + "/cert.pem", .tls_key_file = dir + "/key.pem"});
  hub->Assign("host-a", {Instance("web-1")});
  TestAgent agent(hub->address(), "secret", dir + "/cert.pem");
  EXPECT_TRUE(WaitFor([&] { return agent.Assignments().size() == 1; }));
  TestAgent plaintext(hub->address());
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(plaintext.link->connected());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace nanoplane::controller
