// Agent: readiness and liveness probes. The core decides when a probe is due
// (NextProbeDue) and what a result means (ObserveProbe); this file performs
// them against the instance's forwarded port and feeds the results back. A
// flip of `passing` makes the next round come at once.

#include "agent/app/agent.h"
#include "agent/app/convert.h"
#include "common/log.h"
#include "common/strings.h"

namespace nanoplane::agent::app {

struct Agent::ProbeJob {
  std::string name;
  core::ProbeKind kind;
  core::ProbeSpec spec;
  absl::StatusOr<ProbeTarget> target;
  absl::Time run_started;

  std::string key() const {
    return StrCat(name, kind == core::ProbeKind::kReadiness ? "/readiness" : "/liveness");
  }
};

std::vector<Agent::ProbeJob> Agent::DueProbesLocked(absl::Time now) {
  std::vector<ProbeJob> jobs;
  for (const v1::InstanceAssignment& instance : assignment_.instances()) {
    const std::string& name = instance.identity().name();
    auto vm = vms_.find(name);
    auto rt = runtime_.find(name);
    if (vm == vms_.end() || vm->second.state != VmState::kRunning || rt == runtime_.end() ||
        !rt->second.run_started_at.has_value() ||
        vm->second.identity.spec_hash != instance.identity().spec_hash()) {
      continue;
    }
    const v1alpha1::UnikernelTemplate& t = instance.template_();
    for (core::ProbeKind kind : {core::ProbeKind::kReadiness, core::ProbeKind::kLiveness}) {
      const bool readiness = kind == core::ProbeKind::kReadiness;
      const v1alpha1::Probe& probe = readiness ? t.readiness_probe() : t.liveness_probe();
      std::optional<core::ProbeSpec> spec = ToProbeSpec(probe);
      if (!spec.has_value()) {
        continue;
      }
      const core::ProbeState& state = readiness ? rt->second.readiness : rt->second.liveness;
      const absl::Time started = *rt->second.run_started_at;
      ProbeJob job{.name = name,
                   .kind = kind,
                   .spec = *spec,
                   .target = ResolveProbeTarget(probe, t, vm->second),
                   .run_started = started};
      if (core::NextProbeDue(*spec, state, started) > now || probing_.contains(job.key())) {
        continue;
      }
      jobs.push_back(std::move(job));
    }
  }
  return jobs;
}

// Runs one probe and folds its result in; true when `passing` flipped.
bool Agent::RunProbeJob(const ProbeJob& job) {
  const absl::Time started = clock_();
  const bool ok = job.target.ok() && prober_(*job.target, job.spec.timeout);
  const core::ProbeResult result{.started = started, .latency = clock_() - started, .ok = ok};
  absl::MutexLock lock(&mu_);
  probing_.erase(job.key());
  auto rt = runtime_.find(job.name);
  // A result of an earlier run (the VM rebooted meanwhile) is dropped.
  if (rt == runtime_.end() || rt->second.run_started_at != job.run_started) {
    return false;
  }
  core::ProbeState& state =
      job.kind == core::ProbeKind::kReadiness ? rt->second.readiness : rt->second.liveness;
  const bool was = state.passing;
  state = core::ObserveProbe(job.spec, state, result, job.run_started);
  if (state.passing != was) {
    dirty_ = true;
    return true;
  }
  return false;
}

bool Agent::ProbeOnce() {
  std::vector<ProbeJob> jobs;
  {
    absl::MutexLock lock(&mu_);
    jobs = DueProbesLocked(clock_());
    for (const ProbeJob& job : jobs) {
      probing_.insert(job.key());
    }
  }
  bool changed = false;
  for (const ProbeJob& job : jobs) {
    changed = RunProbeJob(job) || changed;
  }
  return changed;
}

// The VMs a restarted agent found running have their first probes due at
// once (their initial delay passed long ago): run them before the hello, which
// would otherwise report a healthy host's instances as not ready. At most
// `budget`: a guest that does not answer must not keep the host from the
// controller; its probe finishes on the pool and counts later.
void Agent::ProbeBeforeHello(absl::Duration budget) {
  struct Countdown {
    absl::Mutex mu;
    size_t left ABSL_GUARDED_BY(mu) = 0;
  };
  std::vector<ProbeJob> jobs;
  {
    absl::MutexLock lock(&mu_);
    jobs = DueProbesLocked(clock_());
    for (const ProbeJob& job : jobs) {
      probing_.insert(job.key());
    }
  }
  if (jobs.empty()) {
    return;
  }
  auto countdown = std::make_shared<Countdown>();
  {
    absl::MutexLock lock(&countdown->mu);
    countdown->left = jobs.size();
  }
  for (ProbeJob& job : jobs) {
    probe_pool_->Submit([this, countdown, job = std::move(job)] {
      RunProbeJob(job);
      absl::MutexLock lock(&countdown->mu);
      --countdown->left;
    });
  }
  {
    absl::MutexLock lock(&countdown->mu);
    auto all_done = [&countdown]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(countdown->mu) {
      return countdown->left == 0;
    };
    countdown->mu.AwaitWithTimeout(absl::Condition(&all_done), budget);
  }
  if (absl::Status status = SyncOnce(); !status.ok()) {
    Log(LogLevel::kWarn, "round after the first probes failed", {{"error", status.ToString()}});
  }
}

void Agent::ProbeLoop() {
  while (true) {
    std::vector<ProbeJob> jobs;
    {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping), options_.probe_tick)) {
        return;
      }
      jobs = DueProbesLocked(clock_());
      for (const ProbeJob& job : jobs) {
        probing_.insert(job.key());
      }
    }
    // Each on the probe pool: a probe waiting for its timeout holds up no other.
    for (ProbeJob& job : jobs) {
      probe_pool_->Submit([this, job = std::move(job)] { RunProbeJob(job); });
    }
  }
}

}  // namespace nanoplane::agent::app
