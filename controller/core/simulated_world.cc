#include "controller/core/simulated_world.h"

#include <algorithm>

#include "common/strings.h"
#include "controller/core/naming.h"
#include "controller/core/test_util.h"

namespace nanoplane::controller::core::testing {
namespace {

bool Finished(InstancePhase phase) {
  return phase == InstancePhase::kSucceeded || phase == InstancePhase::kFailed;
}

constexpr int kHosts = 4;

}  // namespace

SimulatedWorld::SimulatedWorld(uint64_t seed, DesiredUnikernel desired)
    : rng_(seed ^ 0x9e3779b97f4a7c15ULL), now_(At(0)), desired_(std::move(desired)) {
  desired_->has_finalizer = true;
  for (int i = 1; i <= kHosts; ++i) {
    hosts_.push_back(MakeHost(StrCat("h", i), {}, {8 * kGi, 8}));
  }
  // Another namespace's "web" runs the same template: a controller seeded
  // with `seed` would draw exactly these names first unless it avoids them.
  std::mt19937_64 same_as_controller(seed);
  NameSet taken;
  for (int i = 0; i < 2; ++i) {
    std::string name = NewInstanceName("web", desired_->tmpl.hash, taken, same_as_controller);
    taken.insert(name);
    SimInstance other{.instance = RunningInstance(name, StrCat("h", i + 1), desired_->tmpl),
                      .ours = false,
                      .resources = {kGi, 1}};
    instances_.push_back(other);
  }
}

absl::Duration SimulatedWorld::Delay(int min_seconds, int max_seconds) {
  return absl::Seconds(std::uniform_int_distribution<int>(min_seconds, max_seconds)(rng_));
}

ReconcileInput SimulatedWorld::Observe() const {
  ReconcileInput input{.desired = desired_,
                       .hosts = hosts_,
                       .revisions = revisions_,
                       .taken_names = FleetNames(),
                       .now = now_,
                       .eviction_timeout = eviction_timeout_};
  for (Host& host : input.hosts) {
    for (const SimInstance& sim : instances_) {
      if (sim.instance.host == host.name) {
        host.assigned.memory_bytes += sim.resources.memory_bytes;
        host.assigned.cpus += sim.resources.cpus;
      }
    }
  }
  input.instances = OurInstances();
  return input;
}

NameSet SimulatedWorld::FleetNames() const {
  NameSet names;
  for (const SimInstance& sim : instances_) {
    names.insert(sim.instance.name);
  }
  return names;
}

std::vector<Instance> SimulatedWorld::OurInstances() const {
  std::vector<Instance> out;
  for (const SimInstance& sim : instances_) {
    if (sim.ours) {
      out.push_back(sim.instance);
    }
  }
  return out;
}

SimulatedWorld::SimInstance* SimulatedWorld::Find(const std::string& name) {
  for (SimInstance& sim : instances_) {
    if (sim.instance.name == name) {
      return &sim;
    }
  }
  return nullptr;
}

Host* SimulatedWorld::FindHost(const std::string& name) {
  for (Host& host : hosts_) {
    if (host.name == name) {
      return &host;
    }
  }
  return nullptr;
}

void SimulatedWorld::Execute(const std::vector<Action>& actions) {
  for (const Action& action : actions) {
    if (const auto* a = std::get_if<CreateRevision>(&action)) {
      revisions_.push_back(a->revision);
    } else if (const auto* a = std::get_if<UpdateRevision>(&action)) {
      for (Revision& r : revisions_) {
        r = r.hash == a->revision.hash ? a->revision : r;
      }
    } else if (const auto* a = std::get_if<DeleteRevision>(&action)) {
      std::erase_if(revisions_, [&](const Revision& r) { return r.hash == a->hash; });
    } else if (const auto* a = std::get_if<StartInstance>(&action)) {
      SimInstance sim{.instance = {.name = a->name,
                                   .host = a->host,
                                   .revision_hash = a->revision_hash,
                                   .created_time = now_},
                      .resources = a->resources,
                      .boot_at = now_ + Delay(1, 4)};
      instances_.push_back(sim);
    } else if (const auto* a = std::get_if<StopInstance>(&action)) {
      Find(a->name)->instance.stop_requested = true;
    } else if (const auto* a = std::get_if<DeleteInstance>(&action)) {
      std::erase_if(instances_, [&](const SimInstance& s) { return s.instance.name == a->name; });
    } else if (const auto* a = std::get_if<PatchStatus>(&action)) {
      desired_->status = a->status;
    } else if (std::holds_alternative<RemoveFinalizer>(action)) {
      desired_.reset();  // the store lets the object go
    }
  }
}

// One lifecycle step of an instance whose host is up.
void SimulatedWorld::Progress(SimInstance& sim) {
  Instance& i = sim.instance;
  if (Finished(i.phase)) {
    return;
  }
  if (i.stop_requested) {
    if (sim.stop_at == absl::InfiniteFuture()) {
      sim.stop_at = now_ + Delay(0, 2);
    }
    if (now_ >= sim.stop_at) {
      i.phase = InstancePhase::kSucceeded;
      i.ready = false;
    }
    return;
  }
  if ((i.phase == InstancePhase::kPending || i.phase == InstancePhase::kBackOff) &&
      now_ >= sim.boot_at) {
    i.phase = InstancePhase::kRunning;
    i.started_time = now_;
    sim.ready_at = now_ + Delay(0, 3);
  }
  if (i.phase == InstancePhase::kRunning && !i.ready && now_ >= sim.ready_at) {
    i.ready = true;
    i.ready_since = now_;
  }
}

void SimulatedWorld::Advance(absl::Duration dt) {
  now_ += dt;
  for (SimInstance& sim : instances_) {
    Host* host = FindHost(sim.instance.host);
    if (sim.ours && host != nullptr && host->ready) {
      Progress(sim);
    }
  }
}

bool SimulatedWorld::Quiescent() const {
  return std::none_of(instances_.begin(), instances_.end(), [&](const SimInstance& sim) {
    const Instance& i = sim.instance;
    if (!sim.ours || Finished(i.phase)) {
      return false;
    }
    bool host_ready = std::any_of(hosts_.begin(), hosts_.end(),
                                  [&](const Host& h) { return h.name == i.host && h.ready; });
    return host_ready && (i.stop_requested || !i.ready);
  });
}

bool SimulatedWorld::Counts(const SimInstance& sim) const {
  const Instance& i = sim.instance;
  if (!sim.ours || i.stop_requested || Finished(i.phase)) {
    return false;
  }
  for (const Host& host : hosts_) {
    if (host.name == i.host) {
      return host.ready || now_ < host.not_ready_since + eviction_timeout_;
    }
  }
  return false;
}

Census SimulatedWorld::Count() const {
  Census census;
  int min_ready = desired_.has_value() ? desired_->min_ready_seconds : 0;
  for (const SimInstance& sim : instances_) {
    if (!Counts(sim)) {
      continue;
    }
    ++census.total;
    const Instance& i = sim.instance;
    bool host_ready = std::any_of(hosts_.begin(), hosts_.end(),
                                  [&](const Host& h) { return h.name == i.host && h.ready; });
    census.available += host_ready && i.phase == InstancePhase::kRunning && i.ready &&
                        now_ >= i.ready_since + absl::Seconds(min_ready);
  }
  return census;
}

bool SimulatedWorld::OtherRevisionRunning(const std::string& hash) const {
  return std::any_of(instances_.begin(), instances_.end(), [&](const SimInstance& sim) {
    const Instance& i = sim.instance;
    if (!sim.ours || i.revision_hash == hash || Finished(i.phase)) {
      return false;
    }
    for (const Host& host : hosts_) {
      if (host.name == i.host) {
        return host.ready || now_ < host.not_ready_since + eviction_timeout_;
      }
    }
    return false;
  });
}

}  // namespace nanoplane::controller::core::testing
