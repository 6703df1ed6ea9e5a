#include "agent/core/local_reconciler.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "agent/core/restart_policy.h"
#include "common/api.h"
#include "common/strings.h"

namespace nanoplane::agent::core {
namespace {

// What the round knows besides the instance at hand.
struct Context {
  const Activity& activity;
  absl::Time now;
  const LocalOptions& options;
  int64_t generation = 0;
};

// One instance's share of the plan. `runtime` starts as the previous round's
// state and is updated in place.
struct Decision {
  std::vector<Action> actions;
  InstanceReport report;
  std::optional<absl::Time> wake_at;
  InstanceRuntime runtime;
};

// "40s", "5m": whole seconds, rounded up so a wait never shows as 0s.
std::string Seconds(absl::Duration d) {
  return absl::FormatDuration(absl::Ceil(d, absl::Seconds(1)));
}

bool IsUp(const ObservedVm& vm) {
  return vm.state == VmState::kRunning || vm.state == VmState::kPaused;
}

bool NeverStarted(const ObservedVm& vm) {
  return vm.state == VmState::kShutOff && vm.stop_reason == StopReason::kNone;
}

// An instance name is reused only by the same Unikernel object and template;
// anything else on the VM is a stale instance to replace.
bool SameInstance(const InstanceIdentity& a, const InstanceIdentity& b) {
  return a.uid == b.uid && a.spec_hash == b.spec_hash;
}

void SetPhase(Decision& d, InstancePhase phase, std::string message) {
  d.report.phase = phase;
  d.report.message = std::move(message);
}

// The new run's probes start over (ProbeState belongs to one run).
void ForgetRun(InstanceRuntime& rt) {
  rt.exited_at.reset();
  rt.restart_at.reset();
  rt.killed_by_liveness = false;
  rt.run_started_at.reset();
  rt.readiness = ProbeState::Initial(ProbeKind::kReadiness);
  rt.liveness = ProbeState::Initial(ProbeKind::kLiveness);
}

// Gets the image of `want` built: a BuildImage, a wait for the build in
// flight or the retry time, or a terminal error. Sets the phase.
void EnsureImage(const Context& ctx, const DesiredInstance& want, Decision& d) {
  const std::string& hash = want.identity.spec_hash;
  if (ctx.activity.builds_in_flight.contains(hash)) {
    SetPhase(d, InstancePhase::kBuilding, "building image");
    return;
  }
  if (auto failed = ctx.activity.failed_builds.find(hash);
      failed != ctx.activity.failed_builds.end()) {
    const BuildFailure& f = failed->second;
    if (!f.retry_at.has_value()) {
      // Pending, not Failed: as a pod whose image cannot be pulled, it waits
      // for a new spec. A Failed instance would be replaced by the controller,
      // only to fail the same way at once, over and over.
      SetPhase(d, InstancePhase::kPending, StrCat("build failed: ", f.message));
      d.report.reason = std::string(::nanoplane::kImageBuildFailed);
      return;
    }
    if (*f.retry_at > ctx.now) {
      SetPhase(d, InstancePhase::kPending,
               StrCat("build failed: ", f.message, "; retry in ", Seconds(*f.retry_at - ctx.now)));
      d.wake_at = f.retry_at;
      return;
    }
  }
  d.actions.push_back(BuildImage{.spec_hash = hash, .instance = want.identity.name});
  SetPhase(d, InstancePhase::kBuilding, "building image");
}

// No VM (or one defined and never booted): build, then define and boot.
void DecideAbsent(const Context& ctx, const DesiredInstance& want, Decision& d) {
  if (want.image_key.empty()) {
    EnsureImage(ctx, want, d);
    return;
  }
  ForgetRun(d.runtime);
  d.actions.push_back(StartInstance{.identity = want.identity, .image_key = want.image_key});
  SetPhase(d, InstancePhase::kStarting, "starting");
}

void DecideRunning(const Context& ctx, const DesiredInstance& want, const ObservedVm& vm,
                   Decision& d) {
  InstanceRuntime& rt = d.runtime;
  const absl::Time started = vm.started_at.value_or(rt.run_started_at.value_or(ctx.now));
  if (rt.run_started_at != started) {
    ForgetRun(rt);  // a run we have not watched: adopted, or booted by our restart
    rt.run_started_at = started;
  }
  rt.exited_at.reset();
  rt.restart_at.reset();
  rt.backoff = BackOffAfterRun(ctx.options.backoff, rt.backoff, started, ctx.now);
  d.report.started_at = started;

  if (want.liveness.has_value() && !rt.liveness.passing) {
    rt.killed_by_liveness = true;
    d.actions.push_back(
        StopInstance{.name = vm.name, .graceful = false, .reason = "liveness probe failed"});
    SetPhase(d, InstancePhase::kRunning, "liveness probe failed; stopping");
    return;
  }
  if (vm.state == VmState::kPaused) {
    SetPhase(d, InstancePhase::kRunning, "paused");
    return;
  }
  if (!want.readiness.has_value()) {
    d.report.ready = true;
    d.report.ready_since = started;
    SetPhase(d, InstancePhase::kRunning, "");
    return;
  }
  d.report.ready = rt.readiness.passing;
  d.report.ready_since = rt.readiness.passing_since;
  if (!rt.readiness.passed_once) {
    SetPhase(d, InstancePhase::kStarting, "waiting for the readiness probe");
    return;
  }
  SetPhase(d, InstancePhase::kRunning, rt.readiness.passing ? "" : "readiness probe failing");
}

// Records the end of a run the first time it is seen, starting its back-off.
void NoteRunEnd(const Context& ctx, RestartPolicy policy, const RunEnd& end, InstanceRuntime& rt) {
  if (rt.exited_at.has_value()) {
    return;
  }
  rt.exited_at = ctx.now;
  if (ShouldRestart(policy, end)) {
    const BackOffPolicy& p = ctx.options.backoff;
    rt.backoff = NextBackOff(p, BackOffAfterRun(p, rt.backoff, rt.run_started_at, ctx.now));
    rt.restart_at = ctx.now + rt.backoff;
  }
}

void DecideStopped(const Context& ctx, const DesiredInstance& want, const ObservedVm& vm,
                   Decision& d) {
  InstanceRuntime& rt = d.runtime;
  const RunEnd end = ClassifyRunEnd(vm, rt.killed_by_liveness);
  NoteRunEnd(ctx, want.restart_policy, end, rt);
  d.report.exit_code = end.exit_code;
  if (!ShouldRestart(want.restart_policy, end)) {
    SetPhase(d, end.failed ? InstancePhase::kFailed : InstancePhase::kSucceeded, end.message);
    return;
  }
  const absl::Time restart_at = rt.restart_at.value_or(ctx.now);
  if (restart_at > ctx.now) {
    SetPhase(d, InstancePhase::kBackOff,
             StrCat("back-off ", Seconds(rt.backoff), " restarting ",
                    end.failed ? "failed" : "exited", " instance (", end.message, ")"));
    d.wake_at = restart_at;
    return;
  }
  ForgetRun(rt);
  rt.restarts++;
  d.actions.push_back(RestartInstance{.name = vm.name, .reason = end.message});
  SetPhase(d, InstancePhase::kStarting, StrCat("restarting after: ", end.message));
}

// The VM under this name runs another template (or belongs to an older object
// of the same name): clear it away while the new image builds.
void DecideReplace(const Context& ctx, const DesiredInstance& want, const ObservedVm& vm,
                   Decision& d) {
  if (want.image_key.empty()) {
    EnsureImage(ctx, want, d);
  }
  if (IsUp(vm)) {
    d.actions.push_back(StopInstance{.name = vm.name, .graceful = true, .reason = "spec changed"});
  } else {
    d.actions.push_back(DeleteInstance{.name = vm.name, .reason = "spec changed"});
    d.runtime = InstanceRuntime{};  // the next VM under this name starts afresh
  }
  SetPhase(d, InstancePhase::kTerminating, "replacing the VM of an older spec");
}

Decision DecideDesired(const Context& ctx, const DesiredInstance& want, const ObservedVm* vm,
                       bool name_taken, const InstanceRuntime& runtime) {
  Decision d{.report = {.identity = want.identity}, .runtime = runtime};
  d.runtime.undesired_since.reset();
  if (name_taken) {
    SetPhase(d, InstancePhase::kPending, "a VM of this name exists that nanoplane does not manage");
  } else if (vm != nullptr && !SameInstance(*vm->identity, want.identity)) {
    DecideReplace(ctx, want, *vm, d);
  } else if (vm == nullptr || NeverStarted(*vm)) {
    DecideAbsent(ctx, want, d);
  } else if (IsUp(*vm)) {
    DecideRunning(ctx, want, *vm, d);
  } else {
    DecideStopped(ctx, want, *vm, d);
  }
  d.report.restarts = d.runtime.restarts;
  return d;
}

// A VM of ours that is not assigned: keep it through the grace period (and
// forever before the first assignment), then stop and delete it. It is
// reported not ready: without its assignment the agent knows no probes.
Decision DecideUndesired(const Context& ctx, const ObservedVm& vm, const InstanceRuntime& runtime) {
  Decision d{.report = {.identity = *vm.identity}, .runtime = runtime};
  d.report.restarts = runtime.restarts;
  const bool up = IsUp(vm);
  std::string observed_message;
  if (up) {
    d.report.phase = InstancePhase::kRunning;
    d.report.started_at = vm.started_at;
  } else {
    const RunEnd end = ClassifyRunEnd(vm, runtime.killed_by_liveness);
    d.report.phase = end.failed ? InstancePhase::kFailed : InstancePhase::kSucceeded;
    d.report.exit_code = end.exit_code;
    observed_message = StrCat(end.message, "; ");
  }
  if (ctx.generation == 0) {
    d.report.message = StrCat(observed_message, "not assigned; kept until the first assignment");
    return d;
  }
  const absl::Time since = runtime.undesired_since.value_or(ctx.now);
  d.runtime.undesired_since = since;
  const absl::Time deadline =
      since + (runtime.released ? absl::ZeroDuration() : ctx.options.grace_period);
  if (ctx.now < deadline) {
    d.report.message =
        StrCat(observed_message, "not assigned; removed in ", Seconds(deadline - ctx.now));
    d.wake_at = deadline;
    return d;
  }
  if (up) {
    d.actions.push_back(StopInstance{.name = vm.name, .graceful = true, .reason = "not assigned"});
  } else {
    d.actions.push_back(DeleteInstance{.name = vm.name, .reason = "not assigned"});
  }
  SetPhase(d, InstancePhase::kTerminating, "not assigned");
  return d;
}

// Appends `d` to the plan. A busy instance keeps its previous state and gets
// no actions; one BuildImage serves every instance of a spec hash.
void Merge(const Context& ctx, const std::string& name, Decision d, const RuntimeStates& previous,
           std::set<std::string>& builds, LocalPlan& plan) {
  if (ctx.activity.busy_instances.contains(name)) {
    if (auto it = previous.find(name); it != previous.end()) {
      plan.runtime[name] = it->second;
    }
  } else {
    for (Action& action : d.actions) {
      if (const auto* build = std::get_if<BuildImage>(&action);
          build != nullptr && !builds.insert(build->spec_hash).second) {
        continue;
      }
      plan.actions.push_back(std::move(action));
    }
    plan.runtime[name] = std::move(d.runtime);
    if (d.wake_at.has_value()) {
      const absl::Duration after = std::max(*d.wake_at - ctx.now, absl::ZeroDuration());
      plan.requeue_after = std::min(plan.requeue_after.value_or(after), after);
    }
  }
  plan.reports.push_back(std::move(d.report));
}

}  // namespace

LocalPlan DecideLocal(const Assignment& desired, const std::vector<ObservedVm>& observed,
                      const Activity& activity, const RuntimeStates& runtime, absl::Time now,
                      const LocalOptions& options) {
  const Context ctx{
      .activity = activity, .now = now, .options = options, .generation = desired.generation};
  std::map<std::string, const DesiredInstance*> wanted;
  for (const DesiredInstance& want : desired.instances) {
    wanted.emplace(want.identity.name, &want);
  }
  std::map<std::string, const ObservedVm*> ours;
  std::set<std::string> foreign;
  for (const ObservedVm& vm : observed) {
    if (vm.identity.has_value()) {
      ours.emplace(vm.name, &vm);
    } else {
      foreign.insert(vm.name);
    }
  }
  std::set<std::string> names;
  for (const auto& [name, _] : wanted) {
    names.insert(name);
  }
  for (const auto& [name, _] : ours) {
    names.insert(name);
  }

  LocalPlan plan;
  std::set<std::string> builds;
  for (const std::string& name : names) {
    const auto rt = runtime.find(name);
    const InstanceRuntime previous = rt == runtime.end() ? InstanceRuntime{} : rt->second;
    const auto vm = ours.find(name);
    const ObservedVm* vm_ptr = vm == ours.end() ? nullptr : vm->second;
    Decision d = wanted.contains(name)
                     ? DecideDesired(ctx, *wanted[name], vm_ptr, foreign.contains(name), previous)
                     : DecideUndesired(ctx, *vm_ptr, previous);
    Merge(ctx, name, std::move(d), runtime, builds, plan);
  }
  return plan;
}

void PrintTo(const LocalPlan& plan, std::ostream* os) {
  *os << "LocalPlan{actions=[";
  for (const Action& action : plan.actions) {
    *os << " " << ToString(action);
  }
  *os << " ] reports=[";
  for (const InstanceReport& report : plan.reports) {
    *os << " ";
    PrintTo(report, os);
  }
  *os << " ]";
  if (plan.requeue_after.has_value()) {
    *os << " requeue_after=" << absl::FormatDuration(*plan.requeue_after);
  }
  *os << "}";
}

}  // namespace nanoplane::agent::core
