#include "controller/app/controller_test_harness.h"

#include "common/defaults.h"
#include "common/strings.h"
#include "controller/core/convert.h"

namespace nanoplane::controller::app::testing {

v1alpha1::Unikernel MakeUnikernel(const std::string& name, int replicas, const std::string& arg) {
  v1alpha1::Unikernel object;
  object.set_api_version("nanoplane.dev/v1alpha1");
  object.set_kind("Unikernel");
  object.mutable_metadata()->set_name(name);
  object.mutable_metadata()->set_namespace_("default");
  object.mutable_spec()->set_replicas(replicas);
  v1alpha1::UnikernelTemplate* tmpl = object.mutable_spec()->mutable_template_();
  tmpl->mutable_image()->set_program("/web");
  tmpl->mutable_image()->add_args(arg);
  tmpl->mutable_resources()->set_memory(256LL << 20);
  tmpl->mutable_resources()->set_cpus(1);
  return object;
}

ControllerOptions FastOptions() {
  return ControllerOptions{
      .workers = 2,
      .host_grace_period = absl::Milliseconds(300),
      .eviction_timeout = absl::Seconds(1),
      .expectation_timeout = absl::Seconds(2),
      .resync_period = absl::Seconds(2),
      .host_tick = absl::Milliseconds(20),
      .gauge_period = absl::Milliseconds(20),
      .queue = {.base_delay = absl::Milliseconds(5), .max_delay = absl::Milliseconds(500)}};
}

ControllerHarness::ControllerHarness() = default;

ControllerHarness::~ControllerHarness() {
  StopController();
  agents_.clear();
}

void ControllerHarness::AddAgents(int count) {
  for (int i = 0; i < count; ++i) {
    std::string name = StrCat("h", agents_.size() + 1);
    agents_.push_back(std::make_unique<SimulatedAgent>(
        hub_, SimulatedHostOptions{.name = name, .labels = {{"zone", name}}}));
  }
  // A fresh store knows no hosts, so the controller would not wait for them.
  for (const auto& agent : agents_) {
    ASSERT_TRUE(WaitFor([&] { return hub_.Connected(agent->host().name()); }));
  }
}

void ControllerHarness::StartController() {
  StopController();
  metrics_ = std::make_unique<MetricsRegistry>();
  controller_ = std::make_unique<Controller>(store_, hub_, *metrics_, FastOptions());
  controller_->Start();
  ASSERT_TRUE(WaitFor([&] { return controller_->Ready(); }, absl::Seconds(5)));
}

void ControllerHarness::StopController() {
  if (controller_ != nullptr) {
    controller_->Stop();
    controller_.reset();
  }
}

v1alpha1::Unikernel ControllerHarness::Get(const std::string& name) {
  absl::StatusOr<v1alpha1::Unikernel> object = store_.Get({.name = name});
  return object.ok() ? *object : v1alpha1::Unikernel();
}

void ControllerHarness::Apply(const v1alpha1::Unikernel& object) {
  ASSERT_TRUE(store_.Create(object).ok());
}

void ControllerHarness::Change(const std::string& name,
                               const std::function<void(v1alpha1::Unikernel&)>& change) {
  // Conflicts with the controller's own writes are retried, as kubectl does.
  for (int attempt = 0; attempt < 20; ++attempt) {
    v1alpha1::Unikernel object = Get(name);
    change(object);
    if (store_.Update(object).ok()) {
      return;
    }
  }
  FAIL() << "could not update " << name;
}

std::map<std::string, std::string> ControllerHarness::Running(const std::string& name) {
  std::map<std::string, std::string> out;
  for (const auto& agent : agents_) {
    agent::v1::Report reported = agent->host().Report();
    for (const agent::v1::InstanceReport& report : reported.instances()) {
      if (report.identity().unikernel() == name) {
        EXPECT_FALSE(out.contains(report.identity().name()))
            << "instance " << report.identity().name() << " runs twice";
        out[report.identity().name()] = report.identity().spec_hash();
      }
    }
  }
  return out;
}

bool ControllerHarness::Converged(const std::string& name, int replicas) {
  v1alpha1::Unikernel object = Get(name);
  v1alpha1::Unikernel defaulted = object;
  DefaultUnikernel(defaulted);
  std::string hash = core::TemplateFromProto(defaulted.spec().template_()).hash;
  std::map<std::string, std::string> running = Running(name);
  const v1alpha1::UnikernelStatus& status = object.status();
  if (static_cast<int>(running.size()) != replicas) {
    return false;
  }
  for (const auto& [instance, spec_hash] : running) {
    if (spec_hash != hash) {
      return false;
    }
  }
  return status.observed_generation() == object.metadata().generation() &&
         status.replicas() == replicas && status.ready_replicas() == replicas &&
         status.updated_replicas() == replicas && status.instances_size() == replicas;
}

std::string ControllerHarness::Describe(const std::string& name) {
  v1alpha1::Unikernel object = Get(name);
  std::string out = StrCat("generation ", object.metadata().generation(), " status: replicas ",
                           object.status().replicas(), " ready ", object.status().ready_replicas(),
                           " updated ", object.status().updated_replicas(), " observed ",
                           object.status().observed_generation(), "\nrunning:");
  for (const auto& [instance, hash] : Running(name)) {
    StrAppend(&out, " ", instance, "@", hash.substr(0, 8));
  }
  return out;
}

}  // namespace nanoplane::controller::app::testing
