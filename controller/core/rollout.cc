#include "controller/core/rollout.h"

#include <algorithm>
#include <optional>

#include "common/quantity.h"
#include "controller/core/scheduler.h"

namespace nanoplane::controller::core {
namespace {

// Accumulates the actions of one pass, placing starts as it goes.
class Planner {
 public:
  Planner(const RolloutInput& input, absl::BitGenRef rng) : input_(input), rng_(rng) {}

  // Starts up to `count` instances of `revision`; returns how many found a
  // host. Stops at the first that does not: the rest would not fit either.
  int Start(int count, const Revision& revision) {
    const DesiredUnikernel& desired = *input_.desired;
    SchedulingRequest request{.resources = desired.tmpl.resources,
                              .host_selector = desired.host_selector,
                              .spread = desired.spread};
    SchedulingState& state = State();
    for (int i = 0; i < count; ++i) {
      Placement placement = ScheduleInstance(request, state);
      if (placement.host.empty()) {
        plan_.unschedulable = placement.reason;
        return i;
      }
      std::string name = DrawInstanceName(
          desired.name, revision.hash, [this](std::string_view name) { return Taken(name); }, rng_);
      drawn_.insert(name);
      plan_.actions.push_back(StartInstance{.name = name,
                                            .host = placement.host,
                                            .revision = revision.number,
                                            .revision_hash = revision.hash,
                                            .resources = desired.tmpl.resources});
    }
    return count;
  }

  void Stop(const InstanceView& view, const char* reason) {
    plan_.actions.push_back(
        StopInstance{.name = view.instance->name, .host = view.instance->host, .reason = reason});
  }

  const RolloutInput& input() const { return input_; }

  // In use fleet-wide, or drawn by this pass already.
  bool Taken(std::string_view name) const {
    return drawn_.contains(name) ||
           (input_.taken_names != nullptr && input_.taken_names->contains(name)) ||
           (input_.taken_lookup != nullptr && *input_.taken_lookup && (*input_.taken_lookup)(name));
  }
  RolloutPlan Finish() { return std::move(plan_); }

 private:
  // Built on the first start only: most passes start nothing, and the copy of
  // the fleet's hosts would be most of their cost.
  SchedulingState& State() {
    if (!state_.has_value()) {
      state_.emplace();
      state_->hosts = *input_.hosts;
      for (const InstanceView& view : *input_.views) {
        if (view.active) {
          ++state_->counts[view.instance->host];
        }
      }
    }
    return *state_;
  }

  const RolloutInput& input_;
  NameSet drawn_;
  absl::BitGenRef rng_;
  std::optional<SchedulingState> state_;
  RolloutPlan plan_;
};

bool IsUpdated(const InstanceView& view) { return view.updated; }
bool IsOld(const InstanceView& view) { return !view.updated; }
bool Any(const InstanceView&) { return true; }

int CountAvailable(const std::vector<const InstanceView*>& views) {
  return static_cast<int>(std::count_if(views.begin(), views.end(),
                                        [](const InstanceView* v) { return v->available; }));
}

// Brings the update revision to `replicas`: surplus first by rank, shortfall
// within replicas + maxSurge. Returns {instances now, available ones stopped}.
std::pair<int, int> ScaleUpdated(Planner& planner, std::vector<const InstanceView*>& updated,
                                 int total, const RolloutLimits& limits) {
  int replicas = planner.input().desired->replicas;
  int count = static_cast<int>(updated.size());
  if (count > replicas) {
    Rank(updated);
    int available_stopped = 0;
    for (int i = 0; i < count - replicas; ++i) {
      planner.Stop(*updated[i], "ScaleDown");
      available_stopped += updated[i]->available;
    }
    return {replicas, available_stopped};
  }
  int wanted = std::min(replicas + limits.max_surge - total, replicas - count);
  if (wanted > 0) {
    count += planner.Start(wanted, planner.input().update);
  }
  return {count, 0};
}

// Stops old instances as far as availability allows: the unavailable ones
// first (stopping them costs nothing), then available ones of the oldest
// revisions.
void ScaleDownOld(Planner& planner, const std::vector<const InstanceView*>& old, int total,
                  int new_count, int new_available, const RolloutLimits& limits) {
  int min_available = planner.input().desired->replicas - limits.max_unavailable;
  int max_scaled_down = total - min_available - (new_count - new_available);
  int stopped = 0;
  std::vector<const InstanceView*> available;
  for (const InstanceView* view : old) {
    if (view->available) {
      available.push_back(view);
    } else if (stopped < max_scaled_down) {
      planner.Stop(*view, "RollingUpdate");
      ++stopped;
    }
  }
  std::stable_sort(
      available.begin(), available.end(),
      [](const InstanceView* a, const InstanceView* b) { return a->revision < b->revision; });
  int budget = std::min(CountAvailable(available) + new_available - min_available,
                        max_scaled_down - stopped);
  for (int i = 0; i < budget && i < static_cast<int>(available.size()); ++i) {
    planner.Stop(*available[i], "RollingUpdate");
  }
}

void PlanRolling(Planner& planner, const RolloutLimits& limits) {
  const std::vector<InstanceView>& views = *planner.input().views;
  // Ranked only where the rank decides something: most passes stop nothing.
  std::vector<const InstanceView*> updated = ActiveWhere(views, IsUpdated);
  std::vector<const InstanceView*> old = ActiveWhere(views, IsOld);
  int total = static_cast<int>(updated.size() + old.size());
  auto [new_count, available_stopped] = ScaleUpdated(planner, updated, total, limits);
  if (old.empty()) {
    return;
  }
  Rank(old);
  total += new_count - static_cast<int>(updated.size());
  int new_available = CountAvailable(updated) - available_stopped;
  ScaleDownOld(planner, old, total, new_count, new_available, limits);
}

// Instances of an old revision that may still run: stopping, not yet confirmed,
// on a host that has not been given up on.
bool OldStillRunning(const std::vector<InstanceView>& views) {
  return std::any_of(views.begin(), views.end(), [](const InstanceView& v) {
    return !v.updated && (v.active || (!v.deletable && !v.evicted));
  });
}

void PlanRecreate(Planner& planner) {
  const std::vector<InstanceView>& views = *planner.input().views;
  std::vector<const InstanceView*> old = RankActive(views, IsOld);
  for (const InstanceView* view : old) {
    planner.Stop(*view, "Recreate");
  }
  if (OldStillRunning(views)) {
    return;  // the new revision starts only once the old one is gone
  }
  PlanRolling(planner, RolloutLimits{.max_surge = 0, .max_unavailable = 0});
}

// While paused, scaling adds instances of the revision that already runs (the
// update revision if any instance runs it), so no rollout happens.
Revision ScalingRevision(const RolloutInput& input) {
  const InstanceView* newest = nullptr;
  for (const InstanceView& view : *input.views) {
    if (!view.active) {
      continue;
    }
    if (view.updated) {
      return input.update;
    }
    if (newest == nullptr || view.revision > newest->revision) {
      newest = &view;
    }
  }
  if (newest == nullptr) {
    return input.update;
  }
  return Revision{.number = newest->revision, .hash = newest->instance->revision_hash};
}

void PlanPaused(Planner& planner) {
  std::vector<const InstanceView*> active = RankActive(*planner.input().views, Any);
  int replicas = planner.input().desired->replicas;
  int count = static_cast<int>(active.size());
  for (int i = 0; i < count - replicas; ++i) {
    planner.Stop(*active[i], "ScaleDown");
  }
  if (count < replicas) {
    planner.Start(replicas - count, ScalingRevision(planner.input()));
  }
}

}  // namespace

RolloutLimits ResolveLimits(const DesiredUnikernel& desired) {
  if (desired.strategy == StrategyType::kRecreate) {
    return RolloutLimits{};
  }
  RolloutLimits limits;
  limits.max_surge = static_cast<int32_t>(
      ScaledValue(desired.max_surge.value, desired.max_surge.is_percent, desired.replicas, true));
  limits.max_unavailable = static_cast<int32_t>(ScaledValue(
      desired.max_unavailable.value, desired.max_unavailable.is_percent, desired.replicas, false));
  if (limits.max_surge == 0 && limits.max_unavailable == 0) {
    limits.max_unavailable = 1;  // otherwise a rollout could never start
  }
  return limits;
}

RolloutPlan PlanRollout(const RolloutInput& input, absl::BitGenRef rng) {
  Planner planner(input, rng);
  if (input.desired->paused) {
    PlanPaused(planner);
  } else if (input.desired->strategy == StrategyType::kRecreate) {
    PlanRecreate(planner);
  } else {
    PlanRolling(planner, ResolveLimits(*input.desired));
  }
  return planner.Finish();
}

}  // namespace nanoplane::controller::core
