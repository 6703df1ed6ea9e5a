// Agent: state, rounds, reports, logs. Actions are in agent_actions.cc and
// probes in agent_probes.cc.

#include "agent/app/agent.h"

#include <filesystem>

#include "agent/app/assignment_file.h"
#include "agent/app/convert.h"
#include "common/defaults.h"
#include "common/log.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::agent::app {
namespace {

namespace fs = std::filesystem;

std::string AssignmentPath(const AgentOptions& options) {
  return StrCat(options.state_dir, "/assignment.pb");
}

}  // namespace

absl::StatusOr<std::unique_ptr<Agent>> Agent::Create(AgentOptions options, AgentDeps deps) {
  if (deps.driver == nullptr || !deps.build) {
    return absl::InvalidArgumentError("agent: needs a VM driver and a build function");
  }
  std::error_code ec;
  fs::create_directories(StrCat(options.state_dir, "/logs"), ec);
  if (ec) {
    return absl::InternalError(StrCat("create ", options.state_dir, "/logs: ", ec.message()));
  }
  NP_ASSIGN_OR_RETURN(std::optional<v1::Assignment> saved, LoadAssignment(AssignmentPath(options)));
  std::unique_ptr<Agent> agent(new Agent(std::move(options), std::move(deps)));
  if (saved.has_value()) {
    absl::MutexLock lock(&agent->mu_);
    agent->assignment_ = std::move(*saved);
    Log(LogLevel::kInfo, "loaded assignment",
        {{"generation", StrCat(agent->assignment_.generation())},
         {"instances", StrCat(agent->assignment_.instances_size())}});
  }
  return agent;
}

Agent::Agent(AgentOptions options, AgentDeps deps)
    : options_(std::move(options)),
      driver_(*deps.driver),
      link_(deps.link),
      build_(std::move(deps.build)),
      prober_(std::move(deps.prober)),
      clock_(std::move(deps.clock)),
      own_metrics_(deps.metrics == nullptr ? std::make_unique<MetricsRegistry>() : nullptr),
      metrics_(deps.metrics != nullptr ? *deps.metrics : *own_metrics_),
      build_pool_(std::make_unique<WorkerPool>(options_.max_parallel_builds)),
      boot_pool_(std::make_unique<WorkerPool>(options_.max_parallel_boots)),
      stop_pool_(std::make_unique<WorkerPool>(4)),
      probe_pool_(std::make_unique<WorkerPool>(4)) {}

Agent::~Agent() {
  Stop();
  // Drain the pools before the state their tasks touch goes away.
  probe_pool_.reset();
  build_pool_.reset();
  boot_pool_.reset();
  stop_pool_.reset();
}

absl::Status Agent::Start() {
  // The driver may deliver an event after the Agent is gone (its dispatcher
  // outlives us): the callback reaches the Agent only through the guard,
  // which Stop() empties.
  watch_guard_ = std::make_shared<WatchGuard>();
  {
    absl::MutexLock lock(&watch_guard_->mu);
    watch_guard_->agent = this;
  }
  NP_RETURN_IF_ERROR(driver_.Watch([guard = watch_guard_](const VmEvent&) {
    absl::MutexLock lock(&guard->mu);
    if (guard->agent != nullptr) {
      guard->agent->MarkDirty();
    }
  }));
  // One round before the link connects, so the first hello already lists
  // the VMs this host runs (an empty one would read as a host that lost them).
  if (absl::Status status = SyncOnce(); !status.ok()) {
    Log(LogLevel::kWarn, "first round failed", {{"error", status.ToString()}});
  }
  ProbeBeforeHello(absl::Seconds(2));
  loop_thread_ = std::thread([this] { Loop(); });
  probe_thread_ = std::thread([this] { ProbeLoop(); });
  if (link_ != nullptr) {
    link_->Start({
        .hello = [this] { return MakeHello(); },
        .on_assignment =
            [this](const v1::Assignment& assignment) {
              if (absl::Status status = Apply(assignment); !status.ok()) {
                Log(LogLevel::kError, "cannot apply assignment", {{"error", status.ToString()}});
              }
            },
        .on_log_request = [this](const v1::LogRequest& request,
                                 std::shared_ptr<LogSink> sink) { ServeLogs(request, sink); },
    });
  }
  return absl::OkStatus();
}

void Agent::Stop() {
  if (watch_guard_ != nullptr) {
    absl::MutexLock lock(&watch_guard_->mu);  // waits for an event being delivered
    watch_guard_->agent = nullptr;
  }
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  stopped_ = true;
  if (loop_thread_.joinable()) {
    loop_thread_.join();
  }
  if (probe_thread_.joinable()) {
    probe_thread_.join();
  }
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&log_mu_);
    threads.swap(log_threads_);
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
}

void Agent::MarkDirty() {
  absl::MutexLock lock(&mu_);
  dirty_ = true;
}

absl::Status Agent::Apply(const v1::Assignment& assignment) {
  v1::Assignment defaulted = assignment;
  for (v1::InstanceAssignment& instance : *defaulted.mutable_instances()) {
    ApplySchemaDefaults(*instance.mutable_template_());
  }
  absl::MutexLock lock(&mu_);
  if (defaulted.SerializeAsString() == assignment_.SerializeAsString()) {
    return absl::OkStatus();
  }
  // Persist first: once acted on, the assignment must survive a restart. The
  // controller is the authority, so any new assignment replaces the old one,
  // whatever its generation (a controller restored from a backup may go back).
  NP_RETURN_IF_ERROR(SaveAssignment(AssignmentPath(options_), defaulted));
  MarkReleasedLocked(defaulted);
  assignment_ = std::move(defaulted);
  dirty_ = true;
  Log(LogLevel::kInfo, "new assignment",
      {{"generation", StrCat(assignment_.generation())},
       {"instances", StrCat(assignment_.instances_size())}});
  return absl::OkStatus();
}

// Instances of the old assignment missing from `next` were removed by the
// controller on purpose: they need no grace period.
void Agent::MarkReleasedLocked(const v1::Assignment& next) {
  std::set<std::string> kept;
  for (const v1::InstanceAssignment& instance : next.instances()) {
    kept.insert(instance.identity().name());
  }
  for (const v1::InstanceAssignment& instance : assignment_.instances()) {
    const std::string& name = instance.identity().name();
    if (!kept.contains(name)) {
      runtime_[name].released = true;
    }
  }
  for (const std::string& name : kept) {
    if (auto it = runtime_.find(name); it != runtime_.end()) {
      it->second.released = false;
    }
  }
}

const v1::InstanceAssignment* Agent::FindLocked(const std::string& name) const {
  for (const v1::InstanceAssignment& instance : assignment_.instances()) {
    if (instance.identity().name() == name) {
      return &instance;
    }
  }
  return nullptr;
}

core::Assignment Agent::DesiredLocked() const {
  core::Assignment desired{.generation = assignment_.generation()};
  for (const v1::InstanceAssignment& instance : assignment_.instances()) {
    auto image = images_.find(instance.identity().spec_hash());
    desired.instances.push_back(
        ToDesired(instance, image == images_.end() ? "" : image->second.key));
  }
  return desired;
}

// Instances whose Create failed outright count as busy until their retry
// time, so a spec the driver rejects is not retried in a tight loop.
core::Activity Agent::ActivityLocked(absl::Time now) const {
  core::Activity activity = activity_;
  for (const auto& [name, until] : start_failed_until_) {
    if (until > now) {
      activity.busy_instances.insert(name);
    }
  }
  return activity;
}

absl::Status Agent::SyncOnce() {
  absl::StatusOr<std::vector<VmInfo>> listed = driver_.List();
  if (!listed.ok()) {
    return Annotate(listed.status(), "list vms");
  }
  std::vector<core::ObservedVm> observed;
  std::map<std::string, VmInfo> vms;
  for (const VmInfo& vm : *listed) {
    observed.push_back(ToObserved(vm));
    vms[vm.identity.name] = vm;
  }
  std::vector<core::InstanceReport> reports;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_();
    core::LocalPlan plan = core::DecideLocal(DesiredLocked(), observed, ActivityLocked(now),
                                             runtime_, now, options_.local);
    vms_ = std::move(vms);
    runtime_ = std::move(plan.runtime);
    reports_ = plan.reports;
    requeue_after_ = plan.requeue_after;
    for (auto it = start_failed_until_.begin(); it != start_failed_until_.end();) {
      if (it->second <= now) {
        requeue_after_ =
            std::min(requeue_after_.value_or(absl::InfiniteDuration()), absl::ZeroDuration());
        it = start_failed_until_.erase(it);
      } else {
        requeue_after_ =
            std::min(requeue_after_.value_or(absl::InfiniteDuration()), it->second - now);
        ++it;
      }
    }
    for (const core::Action& action : plan.actions) {
      Log(LogLevel::kDebug, "decided", {{"action", core::ToString(action)}});
      Dispatch(action);
    }
    NoteReadyLocked(now);
    reports = std::move(plan.reports);
  }
  metrics_.SetInstances(reports);
  return absl::OkStatus();
}

// Boot latency: from Create to the first round that reports the run ready.
void Agent::NoteReadyLocked(absl::Time now) {
  for (const core::InstanceReport& report : reports_) {
    auto started = boot_started_.find(report.identity.name);
    if (started != boot_started_.end() && report.phase == core::InstancePhase::kRunning &&
        report.ready) {
      const absl::Duration latency = now - started->second;
      metrics_.ObserveBootLatency(latency);
      Log(LogLevel::kInfo, "instance ready",
          {{"instance", report.identity.name}, {"boot_to_ready", absl::FormatDuration(latency)}});
      boot_started_.erase(started);
    }
  }
}

void Agent::WaitIdle() {
  // A finished build may dispatch nothing by itself, but a finished action
  // never enqueues another: draining the pools in turn is enough.
  build_pool_->WaitIdle();
  boot_pool_->WaitIdle();
  stop_pool_->WaitIdle();
}

void Agent::Loop() {
  absl::Time last_rotate = absl::InfinitePast();
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      absl::Duration wait = std::min(options_.resync_interval, options_.report_interval);
      if (requeue_after_.has_value()) {
        wait = std::min(wait, *requeue_after_ + absl::Milliseconds(10));
      }
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return dirty_ || stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&wake), wait);
      if (stopping_) {
        return;
      }
      dirty_ = false;
    }
    if (absl::Status status = SyncOnce(); !status.ok()) {
      Log(LogLevel::kWarn, "reconcile round failed", {{"error", status.ToString()}});
    }
    if (absl::Now() - last_rotate >= options_.resync_interval) {
      RotateLogs();
      last_rotate = absl::Now();
    }
    MaybeReport();
  }
}

v1::Report Agent::CurrentReport() const {
  absl::MutexLock lock(&mu_);
  v1::Report report;
  report.set_assignment_generation(assignment_.generation());
  for (const core::InstanceReport& instance : reports_) {
    auto vm = vms_.find(instance.identity.name);
    *report.add_instances() = ToProto(instance, vm == vms_.end() ? nullptr : &vm->second);
  }
  return report;
}

// A full report when anything changed, and every report_interval regardless.
void Agent::MaybeReport() {
  if (link_ == nullptr) {
    return;
  }
  v1::Report report = CurrentReport();
  std::string bytes = report.SerializeAsString();
  absl::MutexLock lock(&report_mu_);
  const absl::Time now = absl::Now();
  if (bytes == last_report_ && now - last_report_at_ < options_.report_interval) {
    return;
  }
  link_->Report(report);
  last_report_ = std::move(bytes);
  last_report_at_ = now;
}

v1::Hello Agent::MakeHello() const {
  v1::Hello hello;
  hello.set_host(options_.host);
  hello.mutable_labels()->insert(options_.labels.begin(), options_.labels.end());
  hello.mutable_capacity()->set_memory_bytes(options_.capacity_memory_bytes);
  hello.mutable_capacity()->set_cpus(options_.capacity_cpus);
  hello.set_accelerator(ToProto(options_.vm.accelerator));
  hello.set_architecture(options_.architecture);
  hello.set_agent_version(options_.agent_version);
  if (options_.nanos_versions) {
    for (const std::string& version : options_.nanos_versions()) {
      hello.add_nanos_versions(version);
    }
  }
  hello.set_join_token(options_.join_token);
  v1::Report report = CurrentReport();
  *hello.mutable_instances() = report.instances();
  hello.set_assignment_generation(report.assignment_generation());
  return hello;
}

int64_t Agent::generation() const {
  absl::MutexLock lock(&mu_);
  return assignment_.generation();
}

std::optional<absl::Duration> Agent::requeue_after() const {
  absl::MutexLock lock(&mu_);
  return requeue_after_;
}

std::string Agent::ConsoleLogPath(std::string_view instance) const {
  return StrCat(options_.state_dir, "/logs/", instance, ".log");
}

void Agent::RotateLogs() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(StrCat(options_.state_dir, "/logs"), ec)) {
    if (entry.path().extension() == ".log") {
      RotateConsoleLog(entry.path().string(), options_.logs.max_bytes);
    }
  }
}

void Agent::ServeLogs(const v1::LogRequest& request, std::shared_ptr<LogSink> sink) {
  if (!IsValidVmName(request.instance())) {
    sink->End(StrCat("\"", request.instance(), "\" is not an instance name"));
    return;
  }
  absl::MutexLock lock(&log_mu_);
  if (stopped_) {
    sink->End("the agent is stopping");
    return;
  }
  log_threads_.emplace_back([this, request, sink] {
    ServeConsoleLog(
        ConsoleLogPath(request.instance()), request.offset(), request.follow(), *sink,
        [this] { return stopped_.load(); }, options_.logs);
  });
}

}  // namespace nanoplane::agent::app
