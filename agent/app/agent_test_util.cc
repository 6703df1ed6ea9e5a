#include "agent/app/agent_test_util.h"

#include <unistd.h>

#include "common/strings.h"

namespace nanoplane::agent::app::testing {

v1::InstanceAssignment MakeInstance(const InstanceOptions& options) {
  v1::InstanceAssignment instance;
  v1::InstanceIdentity* id = instance.mutable_identity();
  id->set_name(options.name);
  id->set_namespace_("default");
  id->set_unikernel("web");
  id->set_uid(options.uid);
  id->set_revision(1);
  id->set_spec_hash(options.spec_hash);
  v1alpha1::UnikernelTemplate* t = instance.mutable_template_();
  t->mutable_image()->set_program("/web");
  t->set_restart_policy(options.restart_policy);
  v1alpha1::Port* port = t->add_ports();
  port->set_name("http");
  port->set_port(8080);
  if (options.readiness) {
    v1alpha1::Probe* probe = t->mutable_readiness_probe();
    probe->mutable_http_get()->mutable_port()->set_string_value("http");
    probe->set_period_seconds(1);
  }
  if (options.liveness) {
    v1alpha1::Probe* probe = t->mutable_liveness_probe();
    probe->mutable_tcp_socket()->mutable_port()->set_int_value(8080);
    probe->set_period_seconds(1);
    probe->set_failure_threshold(1);
  }
  return instance;
}

v1::Assignment MakeAssignment(int64_t generation, std::vector<v1::InstanceAssignment> instances) {
  v1::Assignment assignment;
  assignment.set_generation(generation);
  for (v1::InstanceAssignment& instance : instances) {
    *assignment.add_instances() = std::move(instance);
  }
  return assignment;
}

void AgentFixture::SetUp() {
  static std::atomic<int> counter = 0;
  state_dir_ = StrCat(::testing::TempDir(), "/np-agent-app-", getpid(), "-", counter++);
  std::filesystem::remove_all(state_dir_);
  driver_.SetNow(now());
  options_.host = "host-a";
  options_.state_dir = state_dir_;
  options_.local.grace_period = absl::Seconds(30);
}

void AgentFixture::TearDown() {
  std::error_code ec;
  std::filesystem::remove_all(state_dir_, ec);
}

std::unique_ptr<Agent> AgentFixture::NewAgent() {
  AgentDeps deps{
      .driver = &driver_,
      .link = &link_,
      .build = [this](const v1::InstanceAssignment& instance) -> absl::StatusOr<AgentImage> {
        ++builds_;
        if (!build_error_.ok()) {
          return build_error_;
        }
        return AgentImage{.key = StrCat("img-", instance.identity().spec_hash()),
                          .disk = "/fake/image.raw",
                          .boot = BiosBoot{}};
      },
      .prober = [this](const ProbeTarget&, absl::Duration) { return probe_ok_.load(); },
      .clock = [this] { return now(); },
  };
  absl::StatusOr<std::unique_ptr<Agent>> agent = Agent::Create(options_, std::move(deps));
  EXPECT_TRUE(agent.ok()) << agent.status();
  return agent.ok() ? std::move(*agent) : nullptr;
}

void AgentFixture::Converge(Agent& agent, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    ASSERT_TRUE(agent.SyncOnce().ok());
    agent.WaitIdle();
  }
}

void AgentFixture::Advance(absl::Duration d) {
  absl::Time t;
  {
    absl::MutexLock lock(&clock_mu_);
    now_ += d;
    t = now_;
  }
  driver_.SetNow(t);
}

absl::Time AgentFixture::now() const {
  absl::MutexLock lock(&clock_mu_);
  return now_;
}

v1::InstanceReport AgentFixture::ReportOf(Agent& agent, const std::string& name) {
  const v1::Report all = agent.CurrentReport();
  for (const v1::InstanceReport& report : all.instances()) {
    if (report.identity().name() == name) {
      return report;
    }
  }
  ADD_FAILURE() << "no report for " << name;
  return {};
}

}  // namespace nanoplane::agent::app::testing
