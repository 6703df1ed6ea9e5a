// Agent: executing the local reconciler's actions through the VM driver and
// the build function. Each runs on a worker; its end marks the round dirty so
// the next round observes what it did.

#include "agent/app/agent.h"
#include "common/log.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::agent::app {
namespace {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
// Clang 14 does not deduce an aggregate's template arguments (P1816) by itself.
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace

void Agent::Dispatch(const core::Action& action) {
  std::visit(Overloaded{
                 [&](const core::BuildImage& build) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
                   const v1::InstanceAssignment* instance = FindLocked(build.instance);
                   if (instance == nullptr) {
                     return;
                   }
                   activity_.builds_in_flight.insert(build.spec_hash);
                   build_pool_->Submit(
                       [this, hash = build.spec_hash, copy = *instance] { RunBuild(hash, copy); });
                 },
                 [&](const core::StartInstance& start) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
                   const v1::InstanceAssignment* instance = FindLocked(start.identity.name);
                   auto image = images_.find(start.identity.spec_hash);
                   if (instance == nullptr || image == images_.end()) {
                     return;
                   }
                   activity_.busy_instances.insert(start.identity.name);
                   boot_pool_->Submit([this, copy = *instance, built = image->second] {
                     RunStart(copy, built, false);
                   });
                 },
                 [&](const core::RestartInstance& restart) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
                   const v1::InstanceAssignment* instance = FindLocked(restart.name);
                   if (instance == nullptr) {
                     return;
                   }
                   activity_.busy_instances.insert(restart.name);
                   boot_pool_->Submit([this, copy = *instance] {
                     absl::StatusOr<AgentImage> image = ImageFor(copy);
                     if (!image.ok()) {
                       FinishAction(copy.identity().name(), image.status(), "restart");
                       return;
                     }
                     RunStart(copy, *image, true);
                   });
                 },
                 [&](const core::StopInstance& stop) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
                   activity_.busy_instances.insert(stop.name);
                   stop_pool_->Submit([this, name = stop.name, graceful = stop.graceful] {
                     RunStop(name, graceful);
                   });
                 },
                 [&](const core::DeleteInstance& del) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
                   activity_.busy_instances.insert(del.name);
                   stop_pool_->Submit([this, name = del.name] { RunDelete(name); });
                 },
             },
             action);
}

// The image of `instance`'s spec: the one built in this process, or a build
// now (a restart after the agent itself restarted; a cache hit, normally).
absl::StatusOr<AgentImage> Agent::ImageFor(const v1::InstanceAssignment& instance) {
  {
    absl::MutexLock lock(&mu_);
    auto it = images_.find(instance.identity().spec_hash());
    if (it != images_.end()) {
      return it->second;
    }
  }
  NP_ASSIGN_OR_RETURN(AgentImage image, build_(instance));
  absl::MutexLock lock(&mu_);
  images_[instance.identity().spec_hash()] = image;
  return image;
}

void Agent::RunBuild(const std::string& spec_hash, const v1::InstanceAssignment& instance) {
  const absl::Time started = absl::Now();
  absl::StatusOr<AgentImage> image = build_(instance);
  const absl::Duration took = absl::Now() - started;
  metrics_.ObserveBuildLatency(took, image.ok());
  absl::MutexLock lock(&mu_);
  activity_.builds_in_flight.erase(spec_hash);
  if (image.ok()) {
    images_[spec_hash] = *image;
    activity_.failed_builds.erase(spec_hash);
    Log(LogLevel::kInfo, "built image",
        {{"instance", instance.identity().name()},
         {"spec_hash", spec_hash},
         {"image", image->key},
         {"took", absl::FormatDuration(took)}});
  } else {
    core::BuildFailure failure{.message = std::string(image.status().message())};
    if (!IsTerminal(image.status())) {
      failure.retry_at = clock_() + options_.build_retry;
    }
    activity_.failed_builds[spec_hash] = failure;
    Log(IsTerminal(image.status()) ? LogLevel::kError : LogLevel::kWarn, "image build failed",
        {{"instance", instance.identity().name()}, {"error", image.status().ToString()}});
  }
  dirty_ = true;
}

absl::Status Agent::ClearCrashed(const std::string& name) {
  absl::StatusOr<VmInfo> vm = driver_.Get(name);
  if (absl::IsNotFound(vm.status())) {
    return absl::OkStatus();
  }
  NP_RETURN_IF_ERROR(vm.status());
  if (vm->state == VmState::kCrashed || vm->state == VmState::kPaused) {
    return driver_.Destroy(name);
  }
  return absl::OkStatus();
}

void Agent::RunStart(const v1::InstanceAssignment& instance, const AgentImage& image,
                     bool restart) {
  const std::string& name = instance.identity().name();
  VmSpecOptions vm_options = options_.vm;
  vm_options.console_log = ConsoleLogPath(name);
  const VmSpec spec = MakeVmSpec(instance, image, vm_options);
  absl::Status status = restart ? ClearCrashed(name) : absl::OkStatus();
  {
    absl::MutexLock lock(&mu_);
    boot_started_[name] = clock_();
  }
  if (status.ok()) {
    status = driver_.Create(spec).status();
  }
  if (status.ok()) {
    metrics_.CountBoot();
    if (restart) {
      metrics_.CountRestart();
    }
  } else {
    absl::MutexLock lock(&mu_);
    boot_started_.erase(name);
  }
  FinishAction(name, status, restart ? "restart" : "start");
}

void Agent::RunStop(const std::string& name, bool graceful) {
  absl::Status status =
      graceful ? driver_.Stop(name, options_.stop_timeout) : driver_.Destroy(name);
  FinishAction(name, status, graceful ? "stop" : "destroy");
}

void Agent::RunDelete(const std::string& name) {
  absl::Status status = ClearCrashed(name);
  if (status.ok()) {
    // The console log stays: a crash can still be read after the VM is gone.
    status = driver_.Delete(name, {.remove_console_log = false});
    if (absl::IsNotFound(status)) {
      status = absl::OkStatus();
    }
  }
  FinishAction(name, status, "delete");
}

void Agent::FinishAction(const std::string& name, const absl::Status& status,
                         std::string_view what) {
  absl::MutexLock lock(&mu_);
  activity_.busy_instances.erase(name);
  if (status.ok()) {
    Log(LogLevel::kInfo, "action done", {{"instance", name}, {"action", std::string(what)}});
  } else {
    Log(LogLevel::kWarn, "action failed",
        {{"instance", name}, {"action", std::string(what)}, {"error", status.ToString()}});
    if (what == "start" || what == "restart") {
      start_failed_until_[name] = clock_() + options_.start_retry;
    }
  }
  dirty_ = true;
}

}  // namespace nanoplane::agent::app
