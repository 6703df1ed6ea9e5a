#include "controller/core/reconcile.h"

#include <algorithm>
#include <set>

#include "controller/core/conditions.h"
#include "controller/core/fleet.h"
#include "controller/core/revisions.h"
#include "controller/core/rollout.h"
#include "controller/core/status.h"

namespace nanoplane::controller::core {

namespace {

std::vector<InstanceView> Classify(const ReconcileInput& in, const std::vector<Revision>& history,
                                   const std::string& update_hash, int32_t min_ready_seconds) {
  return ClassifyInstances(in.instances, in.hosts, history,
                           ClassifyOptions{.update_hash = update_hash,
                                           .min_ready_seconds = min_ready_seconds,
                                           .eviction_timeout = in.eviction_timeout,
                                           .now = in.now});
}

void AddDeletes(const std::vector<InstanceView>& views, std::vector<Action>& actions) {
  for (const InstanceView& view : views) {
    if (view.deletable) {
      actions.push_back(DeleteInstance{view.instance->name, view.instance->host});
    }
  }
}

// Forgets what has stopped and stops the rest. True when nothing remains.
bool Teardown(const std::vector<InstanceView>& views, const char* reason,
              std::vector<Action>& actions) {
  AddDeletes(views, actions);
  bool done = true;
  for (const InstanceView& view : views) {
    if (view.deletable) {
      continue;
    }
    done = false;
    if (!view.instance->stop_requested) {
      actions.push_back(StopInstance{view.instance->name, view.instance->host, reason});
    }
  }
  return done;
}

void Earliest(std::optional<absl::Time>& earliest, absl::Time t) {
  if (!earliest.has_value() || t < *earliest) {
    earliest = t;
  }
}

// The next moment a decision may change without any input changing.
std::optional<absl::Duration> RequeueAfter(const ReconcileInput& in,
                                           const std::vector<InstanceView>& views,
                                           std::optional<absl::Time> deadline) {
  std::optional<absl::Time> earliest = deadline;
  for (const InstanceView& view : views) {
    if (view.ready && !view.available) {
      Earliest(earliest, view.available_at);
    }
    if (view.host != nullptr && !view.host->ready && !view.evicted && !view.deletable) {
      Earliest(earliest, view.host->not_ready_since + in.eviction_timeout);
    }
  }
  if (!earliest.has_value()) {
    return std::nullopt;
  }
  return std::max(*earliest - in.now, absl::ZeroDuration());
}

ReconcileResult ReconcileGone(const ReconcileInput& in) {
  ReconcileResult result;
  std::vector<InstanceView> views = Classify(in, in.revisions, "", 0);
  if (Teardown(views, "Orphaned", result.actions)) {
    std::vector<Revision> history = in.revisions;
    std::sort(history.begin(), history.end(),
              [](const Revision& a, const Revision& b) { return a.number < b.number; });
    for (const Revision& revision : history) {
      result.actions.push_back(DeleteRevision{revision.number, revision.hash});
    }
  }
  result.requeue_after = RequeueAfter(in, views, std::nullopt);
  return result;
}

Revision KnownRevision(const DesiredUnikernel& desired, const std::vector<Revision>& history) {
  for (const Revision& revision : history) {
    if (revision.hash == desired.tmpl.hash) {
      return revision;
    }
  }
  return Revision{.number = desired.status.update_revision, .hash = desired.tmpl.hash};
}

// Deletion: stop everything, then let the object go. Conditions stay as they
// were; the counts and the instance list show the teardown.
ReconcileResult ReconcileDeleting(const ReconcileInput& in) {
  const DesiredUnikernel& desired = *in.desired;
  ReconcileResult result;
  Revision update = KnownRevision(desired, in.revisions);
  std::vector<InstanceView> views = Classify(in, in.revisions, update.hash, 0);
  bool done = Teardown(views, "Deleting", result.actions);
  UnikernelStatus status = CountStatus(desired, update, views);
  status.conditions = desired.status.conditions;
  if (status != desired.status) {
    result.actions.push_back(PatchStatus{status});
  }
  if (done && desired.has_finalizer) {
    result.actions.push_back(RemoveFinalizer{});
  }
  result.status = status;
  result.requeue_after = RequeueAfter(in, views, std::nullopt);
  return result;
}

std::set<std::string> HashesInUse(const std::vector<InstanceView>& views) {
  std::set<std::string> hashes;
  for (const InstanceView& view : views) {
    if (!view.deletable) {
      hashes.insert(view.instance->revision_hash);
    }
  }
  return hashes;
}

void Append(std::vector<Action>& to, std::vector<Action> from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

ReconcileResult ReconcileLive(const ReconcileInput& in, absl::BitGenRef rng) {
  const DesiredUnikernel& desired = *in.desired;
  ReconcileResult result;
  // The revision is stored before any instance refers to it.
  RevisionSync sync = SyncUpdateRevision(desired.tmpl, in.revisions, in.now);
  Append(result.actions, sync.actions);
  std::vector<InstanceView> views =
      Classify(in, sync.history, desired.tmpl.hash, desired.min_ready_seconds);
  AddDeletes(views, result.actions);
  RolloutPlan plan = PlanRollout(RolloutInput{.desired = &desired,
                                              .update = sync.update,
                                              .views = &views,
                                              .history = &sync.history,
                                              .hosts = &in.hosts.get(),
                                              .taken_names = &in.taken_names,
                                              .taken_lookup = &in.taken_lookup.taken},
                                 rng);
  Append(result.actions, std::move(plan.actions));

  UnikernelStatus status = CountStatus(desired, sync.update, views);
  ConditionsResult conditions =
      ComputeConditions(ConditionsInput{.desired = &desired,
                                        .update = sync.update,
                                        .views = &views,
                                        .unschedulable = plan.unschedulable,
                                        .now = in.now},
                        status);
  status.conditions = conditions.conditions;
  const Condition* progressing = FindCondition(status.conditions, kProgressing);
  if (conditions.progressed && progressing->reason == kRollingOut &&
      sync.update.progress_time != in.now) {
    Revision moved = sync.update;
    moved.progress_time = in.now;
    result.actions.push_back(UpdateRevision{moved});
  }
  Append(result.actions, PruneRevisions(sync.history, sync.update.hash, HashesInUse(views),
                                        desired.revision_history_limit));
  if (status != desired.status) {
    result.actions.push_back(PatchStatus{status});
  }
  Append(result.actions, std::move(conditions.events));
  result.status = std::move(status);
  result.requeue_after = RequeueAfter(in, views, conditions.deadline);
  return result;
}

}  // namespace

ReconcileResult Reconcile(const ReconcileInput& input, absl::BitGenRef rng) {
  if (!input.desired.has_value()) {
    return ReconcileGone(input);
  }
  if (input.desired->deleting) {
    return ReconcileDeleting(input);
  }
  return ReconcileLive(input, rng);
}

}  // namespace nanoplane::controller::core
