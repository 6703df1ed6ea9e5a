#include "controller/core/status.h"

#include <algorithm>

#include "common/api.h"
#include "common/strings.h"
#include "controller/core/conditions.h"
#include "controller/core/rollout.h"

namespace nanoplane::controller::core {
namespace {

InstanceStatus DescribeInstance(const InstanceView& view) {
  const Instance& i = *view.instance;
  return InstanceStatus{.name = i.name,
                        .host = i.host,
                        .revision = view.revision,
                        .phase = view.phase,
                        .ready = view.ready,
                        .restarts = i.restarts,
                        .address = i.address,
                        .ports = i.ports,
                        .message = i.message,
                        .exit_code = i.exit_code,
                        .started_time = i.started_time};
}

// The revision most instances are moving away from: the newest old revision
// still running, or the update revision once none is.
int64_t CurrentRevision(const std::vector<InstanceView>& views, int64_t update) {
  int64_t current = 0;
  for (const InstanceView& view : views) {
    if (view.active && !view.updated) {
      current = std::max(current, view.revision);
    }
  }
  return current == 0 ? update : current;
}

std::string Names(const std::vector<std::string>& names) {
  constexpr size_t kShown = 3;  // keep messages short and stable
  std::vector<std::string> shown(names.begin(), names.begin() + std::min(kShown, names.size()));
  std::string text = StrJoin(shown, ", ");
  if (names.size() > kShown) {
    StrAppend(&text, ", ...");
  }
  return text;
}

Condition Degraded(const std::vector<InstanceView>& views, const std::string& unschedulable) {
  if (!unschedulable.empty()) {
    return {.type = std::string(kDegraded),
            .status = ConditionStatus::kTrue,
            .reason = std::string(kUnschedulable),
            .message = unschedulable};
  }
  std::vector<std::string> crashing;
  std::vector<std::string> lost;
  std::vector<std::string> unbuildable;
  std::string build_error;  // the first one's, for the message
  for (const InstanceView& view : views) {
    if (!view.active) {
      continue;
    }
    if (!view.host_ready) {
      lost.push_back(view.instance->name);
    } else if (view.instance->phase == InstancePhase::kBackOff) {
      crashing.push_back(view.instance->name);
    } else if (view.instance->reason == kImageBuildFailed) {
      unbuildable.push_back(view.instance->name);
      if (build_error.empty() || view.instance->message < build_error) {
        build_error = view.instance->message;
      }
    }
  }
  std::sort(unbuildable.begin(), unbuildable.end());
  if (!unbuildable.empty()) {
    return {.type = std::string(kDegraded),
            .status = ConditionStatus::kTrue,
            .reason = std::string(kImageBuildFailed),
            .message = StrCat(unbuildable.size(), " cannot start: ", Names(unbuildable), ": ",
                              build_error)};
  }
  std::sort(crashing.begin(), crashing.end());
  std::sort(lost.begin(), lost.end());
  if (!crashing.empty()) {
    return {.type = std::string(kDegraded),
            .status = ConditionStatus::kTrue,
            .reason = std::string(kCrashLooping),
            .message = StrCat(crashing.size(), " crash-looping: ", Names(crashing))};
  }
  if (!lost.empty()) {
    return {.type = std::string(kDegraded),
            .status = ConditionStatus::kTrue,
            .reason = std::string(kHostNotReady),
            .message = StrCat(lost.size(), " on NotReady hosts: ", Names(lost))};
  }
  return {.type = std::string(kDegraded),
          .status = ConditionStatus::kFalse,
          .reason = std::string(kAsExpected)};
}

Condition Available(const DesiredUnikernel& desired, const UnikernelStatus& counts) {
  int32_t minimum = desired.replicas - ResolveLimits(desired).max_unavailable;
  bool ok = counts.available_replicas >= minimum;
  return {.type = std::string(kAvailable),
          .status = ok ? ConditionStatus::kTrue : ConditionStatus::kFalse,
          .reason = std::string(ok ? kMinimumReplicasAvailable : kMinimumReplicasUnavailable),
          .message = StrCat(counts.available_replicas, "/", desired.replicas, " available, ",
                            minimum, " required")};
}

bool Progressed(const ConditionsInput& in, const UnikernelStatus& now) {
  const UnikernelStatus& before = in.desired->status;
  const Condition* progressing = FindCondition(before.conditions, kProgressing);
  if (progressing == nullptr || progressing->reason == kRolloutPaused ||
      before.update_revision != now.update_revision) {
    return true;  // a first look, a resume, or a new rollout
  }
  return now.updated_replicas > before.updated_replicas ||
         now.ready_replicas > before.ready_replicas ||
         now.available_replicas > before.available_replicas ||
         now.replicas - now.updated_replicas < before.replicas - before.updated_replicas;
}

Condition Progressing(const ConditionsInput& in, const UnikernelStatus& counts, bool progressed,
                      std::optional<absl::Time>& deadline) {
  const DesiredUnikernel& desired = *in.desired;
  Condition c{.type = std::string(kProgressing),
              .status = ConditionStatus::kTrue,
              .reason = std::string(kRollingOut)};
  std::string revision = StrCat("revision ", in.update.number);
  if (desired.paused) {
    c.status = ConditionStatus::kUnknown;
    c.reason = std::string(kRolloutPaused);
    c.message = StrCat(revision, ": rollout paused");
    return c;
  }
  if (counts.updated_replicas == desired.replicas && counts.replicas == desired.replicas &&
      counts.available_replicas == desired.replicas) {
    c.reason = std::string(kRolloutComplete);
    c.message = StrCat(revision, " rolled out");
    return c;
  }
  c.message = StrCat(revision, ": ", counts.updated_replicas, "/", desired.replicas, " updated, ",
                     counts.available_replicas, " available");
  const Condition* before = FindCondition(desired.status.conditions, kProgressing);
  absl::Time since = progressed ? in.now : in.update.progress_time;
  absl::Time limit = since + absl::Seconds(desired.progress_deadline_seconds);
  bool exceeded =
      !progressed &&
      ((before != nullptr && before->reason == kProgressDeadlineExceeded) || in.now >= limit);
  if (exceeded) {
    c.status = ConditionStatus::kFalse;
    c.reason = std::string(kProgressDeadlineExceeded);
    c.message = StrCat(revision, " made no progress for ", desired.progress_deadline_seconds,
                       "s: ", counts.updated_replicas, "/", desired.replicas, " updated, ",
                       counts.available_replicas, " available");
  } else {
    deadline = limit;
  }
  return c;
}

// Events for the transitions a person wants to see, told once.
void AddEvents(const std::vector<Condition>& before, const std::vector<Condition>& after,
               std::vector<Action>& events) {
  for (const Condition& c : after) {
    const Condition* prev = FindCondition(before, c.type);
    bool changed = prev == nullptr || prev->status != c.status || prev->reason != c.reason;
    if (c.type == kDegraded && c.status == ConditionStatus::kTrue &&
        (changed || prev->message != c.message)) {
      events.push_back(RecordEvent{EventType::kWarning, c.reason, c.message});
    } else if (c.type == kProgressing && changed &&
               (c.reason == kProgressDeadlineExceeded || c.reason == kRolloutComplete)) {
      EventType type = c.reason == kRolloutComplete ? EventType::kNormal : EventType::kWarning;
      events.push_back(RecordEvent{type, c.reason, c.message});
    }
  }
}

}  // namespace

std::string SelectorFor(std::string_view unikernel) {
  return StrCat("nanoplane.dev/unikernel=", unikernel);
}

UnikernelStatus CountStatus(const DesiredUnikernel& desired, const Revision& update,
                            const std::vector<InstanceView>& views) {
  FleetCounts counts = CountActive(views);
  UnikernelStatus status{.observed_generation = desired.generation,
                         .replicas = counts.active,
                         .updated_replicas = counts.updated,
                         .ready_replicas = counts.ready,
                         .available_replicas = counts.available,
                         .unavailable_replicas = std::max(0, desired.replicas - counts.available),
                         .current_revision = CurrentRevision(views, update.number),
                         .update_revision = update.number,
                         .selector = SelectorFor(desired.name)};
  for (const InstanceView& view : views) {
    if (!view.deletable) {
      status.instances.push_back(DescribeInstance(view));
    }
  }
  std::sort(status.instances.begin(), status.instances.end(),
            [](const InstanceStatus& a, const InstanceStatus& b) { return a.name < b.name; });
  return status;
}

ConditionsResult ComputeConditions(const ConditionsInput& in, const UnikernelStatus& counts) {
  ConditionsResult result;
  result.progressed = Progressed(in, counts);
  const std::vector<Condition>& before = in.desired->status.conditions;
  result.conditions = {
      Transition(before, Available(*in.desired, counts), in.now),
      Transition(before, Progressing(in, counts, result.progressed, result.deadline), in.now),
      Transition(before, Degraded(*in.views, in.unschedulable), in.now)};
  AddEvents(before, result.conditions, result.events);
  return result;
}

}  // namespace nanoplane::controller::core
