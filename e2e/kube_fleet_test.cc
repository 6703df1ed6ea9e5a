// End to end in Kubernetes mode, with the real binaries as separate processes:
// np-fake-kube-apiserver (the CRDs loaded), nanoplane-controller --store
// kubernetes, and three nanoplane-agent --driver simulated. The Unikernel is
// driven with the REST calls kubectl makes (apply: GET, then POST or a JSON
// merge PATCH; scale: a PATCH of /scale; delete: DELETE, then the finalizer),
// and read back from the API server as `kubectl get -o json` would.
//
// Two controllers share one API and hub address, as they share a Service: only
// the leader listens, so the address reaches it. Each controller run is
// supervised as a kubelet would: one that exits (it lost its lease) is started
// again.

#include <signal.h>

#include <filesystem>

#include "common/kube/kube_client.h"
#include "common/strings.h"
#include "common/testing/net_wait.h"
#include "e2e/cluster.h"
#include "gtest/gtest.h"

namespace nanoplane::e2e {
namespace {

namespace fs = std::filesystem;
using nanoplane::test_support::FreePort;
using nanoplane::test_support::WaitFor;

constexpr absl::Duration kBoot = absl::Seconds(1);
constexpr int kAgents = 3;
constexpr char kPath[] = "/apis/nanoplane.dev/v1alpha1/namespaces/default/unikernels/web";
constexpr char kCollection[] = "/apis/nanoplane.dev/v1alpha1/namespaces/default/unikernels";
// kubectl's annotation for what it last applied.
constexpr char kLastApplied[] = "kubectl.kubernetes.io/last-applied-configuration";

Json WebManifest(int replicas, const std::string& arg) {
  return Json::parse(StrCat(R"({
  "apiVersion": "nanoplane.dev/v1alpha1", "kind": "Unikernel",
  "metadata": {"name": "web", "namespace": "default"},
  "spec": {
    "replicas": )", replicas, R"(,
    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}},
    "template": {
      "image": {"program": "/web", "args": [")", arg, R"("]},
      "resources": {"memory": "64Mi", "cpus": 1},
      "ports": [{"name": "http", "port": 8080}],
      "readinessProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 1}
    }
  }
})"));
}

class KubeFleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("np-e2e-kube");
    ASSERT_FALSE(dir_.empty());
    api_ = StrCat("127.0.0.1:", FreePort());
    hub_ = StrCat("127.0.0.1:", FreePort());
    auto server = Process::Start({NP_FAKE_APISERVER, "--address", "127.0.0.1:0", "--crd",
                                  NP_SOURCE_DIR "/crds/unikernels.nanoplane.dev.yaml", "--crd",
                                  NP_SOURCE_DIR "/crds/hosts.nanoplane.dev.yaml", "--token",
                                  "admin-token=admin:system:masters"},
                                 dir_ + "/apiserver.log");
    ASSERT_TRUE(server.ok()) << server.status();
    api_server_ = *std::move(server);
    absl::StatusOr<std::string> url = api_server_->WaitForOutput("http://", absl::Seconds(30));
    ASSERT_TRUE(url.ok()) << url.status();
    std::string server_url = *url;
    while (!server_url.empty() && std::isspace(static_cast<unsigned char>(server_url.back()))) {
      server_url.pop_back();
    }
    ASSERT_TRUE(WriteFile(dir_ + "/kubeconfig",
                          StrCat("apiVersion: v1\nkind: Config\ncurrent-context: e2e\n",
                                 "clusters: [{name: fake, cluster: {server: \"", server_url,
                                 "\"}}]\nusers: [{name: admin, user: {token: admin-token}}]\n",
                                 "contexts: [{name: e2e, context: {cluster: fake, user: admin}}]\n")));
    auto client = kube::KubeClient::New({.server = server_url, .token = "admin-token"},
                                        {.request_timeout = absl::Seconds(10)});
    ASSERT_TRUE(client.ok()) << client.status();
    kube_ = *std::move(client);
    // The leader-election Lease's namespace, as the README has a user create it.
    ASSERT_TRUE(kube_
                    ->Create("/api/v1/namespaces",
                             {{"apiVersion", "v1"},
                              {"kind", "Namespace"},
                              {"metadata", {{"name", "nanoplane-system"}}}})
                    .ok());
    for (int i = 0; i < kAgents; ++i) {
      agent_dirs_.push_back(StrCat(dir_, "/agent-", i));
      auto agent = Process::Start(SimulatedAgentArgv(hub_, i, agent_dirs_[i], kBoot),
                                  StrCat(dir_, "/agent-", i, ".log"));
      ASSERT_TRUE(agent.ok()) << agent.status();
      agents_.push_back(*std::move(agent));
    }
  }

  void TearDown() override {
    agents_.clear();
    controllers_.clear();
    if (api_server_ != nullptr) {
      kill(api_server_->pid(), SIGCONT);
    }
    api_server_.reset();
    if (!HasFailure()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    } else {
      std::printf("logs kept in %s\n", dir_.c_str());
    }
  }

  // Controller `id` (a new process each call, its own log), waited on until
  // it campaigns for the lease.
  Process& StartController(const std::string& id) {
    auto process = Process::Start(
        {ControllerBinary(), "--store", "kubernetes", "--kubeconfig", dir_ + "/kubeconfig",
         "--data-dir", StrCat(dir_, "/", id), "--api-address", api_, "--agent-address", hub_,
         "--metrics-address", "127.0.0.1:0", "--join-token", "e2e", "--leader-election-id", id},
        StrCat(dir_, "/", id, "-", starts_++, ".log"));
    EXPECT_TRUE(process.ok()) << process.status();
    std::unique_ptr<Process>& slot = controllers_[id];
    slot = *std::move(process);
    EXPECT_TRUE(slot->WaitForOutput("campaigning", absl::Seconds(30)).ok()) << slot->Output();
    return *slot;
  }

  // Waits until controller `id` leads (serves the API and the hub).
  bool WaitLeading(const std::string& id, absl::Duration timeout) {
    return controllers_[id]->WaitForOutput("controller started", timeout).ok();
  }

  void WaitAgentsConnected() {
    for (auto& agent : agents_) {
      ASSERT_TRUE(agent->WaitForOutput("connected to controller", absl::Seconds(60)).ok())
          << agent->Output();
    }
  }

  // kubectl apply -f: GET, then a POST of a new object or a JSON merge PATCH,
  // carrying the last-applied annotation.
  void KubectlApply(Json manifest) {
    manifest["metadata"]["annotations"][kLastApplied] = manifest.dump();
    absl::StatusOr<Json> current = kube_->Get(kPath);
    absl::StatusOr<Json> written =
        current.ok() ? kube_->Patch(kPath, "application/merge-patch+json", manifest.dump())
                     : kube_->Create(kCollection, manifest);
    ASSERT_TRUE(written.ok()) << written.status();
  }

  // kubectl scale uk web --replicas N: a merge PATCH of the scale subresource.
  void KubectlScale(int replicas) {
    absl::StatusOr<Json> scaled =
        kube_->Patch(StrCat(kPath, "/scale"), "application/merge-patch+json",
                     StrCat(R"({"spec":{"replicas":)", replicas, "}}"));
    ASSERT_TRUE(scaled.ok()) << scaled.status();
  }

  // kubectl get uk web -o json.
  absl::StatusOr<UnikernelView> KubectlGet() {
    absl::StatusOr<Json> object = kube_->Get(kPath);
    if (!object.ok()) {
      return object.status();
    }
    return ParseUnikernelView(*object);
  }

  // True once the status says every instance is ready on revision
  // `revision` and the Available condition is True.
  bool WaitRolledOut(int64_t revision, absl::Duration timeout, UnikernelView* last) {
    return WaitFor(
        [&] {
          absl::StatusOr<Json> object = kube_->Get(kPath);
          if (!object.ok()) {
            return false;
          }
          *last = ParseUnikernelView(*object);
          bool available = false;
          for (const Json& c : object->value("status", Json::object())
                                   .value("conditions", Json::array())) {
            available |= c.value("type", "") == "Available" && c.value("status", "") == "True";
          }
          return available && last->RolledOut() && last->update_revision == revision;
        },
        timeout, absl::Milliseconds(100));
  }

  size_t CountRevisions() {
    absl::StatusOr<Json> list =
        kube_->Get("/apis/apps/v1/namespaces/default/controllerrevisions",
                   {{"labelSelector", "nanoplane.dev/unikernel=web"}});
    return list.ok() ? list->value("items", Json::array()).size() : 0;
  }

  // The simulated VMs running now, checked for one copy of each.
  RunningVms Vms() {
    RunningVms vms = ReadRunningVms(agent_dirs_, kBoot);
    EXPECT_TRUE(vms.twice.empty()) << StrJoin(vms.twice, ", ") << " run twice";
    return vms;
  }

  std::string dir_, api_, hub_;
  std::unique_ptr<Process> api_server_;
  std::unique_ptr<kube::KubeClient> kube_;
  std::map<std::string, std::unique_ptr<Process>> controllers_;
  std::vector<std::unique_ptr<Process>> agents_;
  std::vector<std::string> agent_dirs_;
  int starts_ = 0;
};

TEST_F(KubeFleetTest, ApplyRollOutScaleAndDeleteAsKubectlDoes) {
  StartController("ctl-a");
  ASSERT_TRUE(WaitLeading("ctl-a", absl::Seconds(30)));
  ASSERT_NO_FATAL_FAILURE(WaitAgentsConnected());
  absl::Time start = absl::Now();
  ASSERT_NO_FATAL_FAILURE(KubectlApply(WebManifest(3, "v1")));
  UnikernelView view;
  ASSERT_TRUE(WaitRolledOut(1, absl::Seconds(60), &view)) << view.ready << " ready";
  absl::Duration to_ready = absl::Now() - start;
  EXPECT_EQ(view.available, 3);

  start = absl::Now();
  ASSERT_NO_FATAL_FAILURE(KubectlApply(WebManifest(3, "v2")));
  ASSERT_TRUE(WaitRolledOut(2, absl::Seconds(60), &view)) << view.updated << " updated";
  absl::Duration rollout = absl::Now() - start;
  EXPECT_EQ(view.args, std::vector<std::string>{"v2"});
  EXPECT_EQ(CountRevisions(), 2u);

  start = absl::Now();
  ASSERT_NO_FATAL_FAILURE(KubectlScale(5));
  ASSERT_TRUE(WaitRolledOut(2, absl::Seconds(60), &view) && view.ready == 5) << view.ready;
  absl::Duration scale = absl::Now() - start;
  EXPECT_EQ(Vms().revisions.size(), 5u);

  // kubectl delete: the finalizer holds the object until its VMs are stopped.
  start = absl::Now();
  absl::StatusOr<Json> deleting = kube_->Delete(kPath, {{"propagationPolicy", "Background"}});
  ASSERT_TRUE(deleting.ok()) << deleting.status();
  EXPECT_TRUE(WaitFor([&] { return absl::IsNotFound(kube_->Get(kPath).status()); },
                      absl::Seconds(60), absl::Milliseconds(100)));
  absl::Duration deleted = absl::Now() - start;
  EXPECT_EQ(Vms().revisions.size(), 0u) << "the object went before its VMs";
  EXPECT_TRUE(WaitFor([&] { return CountRevisions() == 0; }, absl::Seconds(10)))
      << "the controller deletes the revisions itself";
  std::printf(
      "kubernetes mode, 3 simulated hosts: apply to 3 ready %s; rolling update %s; scale to 5 "
      "%s; delete through the finalizer %s\n",
      absl::FormatDuration(to_ready).c_str(), absl::FormatDuration(rollout).c_str(),
      absl::FormatDuration(scale).c_str(), absl::FormatDuration(deleted).c_str());
}

TEST_F(KubeFleetTest, Kill9OfTheControllerMidRolloutLosesAndDuplicatesNothing) {
  StartController("ctl-a");
  ASSERT_TRUE(WaitLeading("ctl-a", absl::Seconds(30)));
  ASSERT_NO_FATAL_FAILURE(WaitAgentsConnected());
  ASSERT_NO_FATAL_FAILURE(KubectlApply(WebManifest(6, "v1")));
  UnikernelView view;
  ASSERT_TRUE(WaitRolledOut(1, absl::Seconds(60), &view)) << view.ready << " ready";

  ASSERT_NO_FATAL_FAILURE(KubectlApply(WebManifest(6, "v2")));
  ASSERT_TRUE(WaitFor(
      [&] {
        absl::StatusOr<UnikernelView> now = KubectlGet();
        return now.ok() && now->update_revision == 2 && now->updated >= 1 && now->updated < 6;
      },
      absl::Seconds(30), absl::Milliseconds(20)));
  controllers_["ctl-a"]->Kill9();
  // Its successor in the same pod: the same identity takes its own lease back at once.
  const absl::Time restarted = absl::Now();
  StartController("ctl-a");
  ASSERT_TRUE(WaitLeading("ctl-a", absl::Seconds(30)));
  ASSERT_TRUE(WaitRolledOut(2, absl::Seconds(90), &view))
      << view.updated << " updated, " << view.ready << " ready";
  const absl::Duration converged = absl::Now() - restarted;

  std::set<std::string> names;
  RunningVms vms;
  ASSERT_TRUE(WaitFor([&] { return (vms = Vms()).revisions.size() == 6; }, absl::Seconds(10)))
      << vms.revisions.size() << " VMs run";
  for (const InstanceView& instance : view.instances) {
    EXPECT_TRUE(names.insert(instance.name).second) << instance.name << " listed twice";
    EXPECT_EQ(vms.revisions[instance.name], 2) << instance.name << " does not run v2";
  }
  EXPECT_EQ(names.size(), 6u);
  std::printf("kill -9 of the controller mid-rollout: converged %s after the restart\n",
              absl::FormatDuration(converged).c_str());
}

TEST_F(KubeFleetTest, TheStandbyTakesOverWhenTheLeaderIsKilled) {
  StartController("ctl-a");
  ASSERT_TRUE(WaitLeading("ctl-a", absl::Seconds(30)));
  StartController("ctl-b");
  ASSERT_NO_FATAL_FAILURE(WaitAgentsConnected());
  ASSERT_NO_FATAL_FAILURE(KubectlApply(WebManifest(3, "v1")));
  UnikernelView view;
  ASSERT_TRUE(WaitRolledOut(1, absl::Seconds(60), &view)) << view.ready << " ready";
  EXPECT_FALSE(WaitLeading("ctl-b", absl::Milliseconds(1))) << "two leaders";

  controllers_["ctl-a"]->Kill9();
  const absl::Time killed = absl::Now();
  ASSERT_NO_FATAL_FAILURE(KubectlScale(4));
  // The lease (15 s) expires unrenewed, then ctl-b's next try (every 2 s) takes it.
  ASSERT_TRUE(WaitLeading("ctl-b", absl::Seconds(25))) << controllers_["ctl-b"]->Output();
  const absl::Duration takeover = absl::Now() - killed;
  ASSERT_TRUE(WaitRolledOut(1, absl::Seconds(30), &view) && view.ready == 4) << view.ready;
  const absl::Duration scaled = absl::Now() - killed;
  EXPECT_LE(takeover, absl::Seconds(15 + 2 + 1));
  EXPECT_EQ(Vms().revisions.size(), 4u);
  std::printf("leader killed: the standby leads after %s, and the scale to 4 is ready after %s\n",
              absl::FormatDuration(takeover).c_str(), absl::FormatDuration(scaled).c_str());
}

TEST_F(KubeFleetTest, VmsKeepRunningWhileTheApiServerIsGoneAndTheControllerResumes) {
  StartController("ctl-a");
  ASSERT_TRUE(WaitLeading("ctl-a", absl::Seconds(30)));
  ASSERT_NO_FATAL_FAILURE(WaitAgentsConnected());
  ASSERT_NO_FATAL_FAILURE(KubectlApply(WebManifest(3, "v1")));
  UnikernelView view;
  ASSERT_TRUE(WaitRolledOut(1, absl::Seconds(60), &view)) << view.ready << " ready";
  const std::map<std::string, int64_t> before = Vms().revisions;

  // Gone for 30 s: it answers nothing (its connections hang, as across a partition).
  ASSERT_EQ(kill(api_server_->pid(), SIGSTOP), 0);
  const absl::Time gone = absl::Now();
  while (absl::Now() - gone < absl::Seconds(30)) {
    EXPECT_EQ(Vms().revisions, before) << "a VM stopped or started while the API server was gone";
    absl::SleepFor(absl::Milliseconds(500));
  }
  // Unable to renew its lease, it stopped acting and exited; its supervisor
  // (a kubelet) starts it again.
  const bool exited = !controllers_["ctl-a"]->Running();
  EXPECT_TRUE(exited) << "a leader that cannot renew its lease must stop acting";
  ASSERT_EQ(kill(api_server_->pid(), SIGCONT), 0);
  const absl::Time back = absl::Now();
  if (exited) {
    StartController("ctl-a");
  }

  ASSERT_NO_FATAL_FAILURE(KubectlScale(4));
  ASSERT_TRUE(WaitRolledOut(1, absl::Seconds(60), &view) && view.ready == 4) << view.ready;
  const absl::Duration resumed = absl::Now() - back;
  RunningVms vms = Vms();
  EXPECT_EQ(vms.revisions.size(), 4u);
  for (const auto& [name, revision] : before) {
    EXPECT_TRUE(vms.revisions.contains(name)) << name << " was replaced, not kept";
  }
  std::printf(
      "API server stopped for 30 s: the VMs ran on; the controller %s; a scale after the return "
      "was ready in %s\n",
      exited ? "stopped (its lease unrenewable) and was restarted" : "stayed up",
      absl::FormatDuration(resumed).c_str());
}

}  // namespace
}  // namespace nanoplane::e2e
