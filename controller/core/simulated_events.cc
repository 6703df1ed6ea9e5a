// The events SimulatedWorld injects: user changes and fleet failures.

#include "common/strings.h"
#include "controller/core/simulated_world.h"
#include "controller/core/test_util.h"

namespace nanoplane::controller::core::testing {
namespace {

const Template& TemplateNumber(int i) {
  static const Template kTemplates[] = {MakeTemplate("a"), MakeTemplate("b"), MakeTemplate("c")};
  return kTemplates[i];
}

const IntOrPercent kLimits[] = {{0, false}, {1, false}, {2, false}, {25, true}, {50, true}};

}  // namespace

void SimulatedWorld::ChangeSpec(const std::function<void(DesiredUnikernel&)>& change) {
  if (desired_.has_value() && !desired_->deleting) {
    change(*desired_);
    ++desired_->generation;
  }
}

SimulatedWorld::SimInstance* SimulatedWorld::RandomOurs(bool running_only) {
  std::vector<SimInstance*> candidates;
  for (SimInstance& sim : instances_) {
    Host* host = FindHost(sim.instance.host);
    if (sim.ours && !sim.instance.stop_requested && host != nullptr && host->ready &&
        (!running_only || sim.instance.phase == InstancePhase::kRunning)) {
      candidates.push_back(&sim);
    }
  }
  if (candidates.empty()) {
    return nullptr;
  }
  return candidates[std::uniform_int_distribution<size_t>(0, candidates.size() - 1)(rng_)];
}

std::string SimulatedWorld::HostEvent(bool down) {
  int down_count = 0;
  std::vector<Host*> candidates;
  for (Host& host : hosts_) {
    down_count += !host.ready;
    if (host.ready == down) {
      candidates.push_back(&host);
    }
  }
  if (candidates.empty() || (down && down_count >= 2)) {
    return "nothing";
  }
  Host* host = candidates[std::uniform_int_distribution<size_t>(0, candidates.size() - 1)(rng_)];
  host->ready = !down;
  host->not_ready_since = down ? now_ : absl::InfinitePast();
  return StrCat(down ? "lose " : "return ", host->name);
}

std::string SimulatedWorld::InjectRandomEvent() {
  int kind = std::uniform_int_distribution<int>(0, 9)(rng_);
  switch (kind) {
    case 0:
    case 1: {
      int t = std::uniform_int_distribution<int>(0, 2)(rng_);
      ChangeSpec([&](DesiredUnikernel& d) { d.tmpl = TemplateNumber(t); });
      return StrCat("apply template ", t);
    }
    case 2: {
      int replicas = std::uniform_int_distribution<int>(0, 6)(rng_);
      ChangeSpec([&](DesiredUnikernel& d) { d.replicas = replicas; });
      return StrCat("scale to ", replicas);
    }
    case 3:
      return HostEvent(/*down=*/true);
    case 4:
      return HostEvent(/*down=*/false);
    case 5:
    case 6: {
      SimInstance* sim = RandomOurs(/*running_only=*/true);
      if (sim == nullptr) {
        return "nothing";
      }
      bool flap = kind == 6;
      sim->instance.ready = false;
      if (flap) {
        sim->ready_at = now_ + Delay(1, 5);
        return StrCat("readiness flap ", sim->instance.name);
      }
      sim->instance.phase = InstancePhase::kBackOff;
      ++sim->instance.restarts;
      sim->boot_at = now_ + Delay(2, 6);
      return StrCat("crash ", sim->instance.name);
    }
    case 7: {
      SimInstance* sim = RandomOurs(/*running_only=*/false);
      if (sim == nullptr) {
        return "nothing";
      }
      sim->instance.phase = InstancePhase::kFailed;  // restartPolicy Never
      sim->instance.ready = false;
      return StrCat("fail ", sim->instance.name);
    }
    case 8: {
      bool paused = std::uniform_int_distribution<int>(0, 1)(rng_) == 1;
      ChangeSpec([&](DesiredUnikernel& d) { d.paused = paused; });
      return paused ? "pause" : "resume";
    }
    default: {
      IntOrPercent surge = kLimits[std::uniform_int_distribution<int>(0, 4)(rng_)];
      IntOrPercent unavailable = kLimits[std::uniform_int_distribution<int>(0, 4)(rng_)];
      ChangeSpec([&](DesiredUnikernel& d) {
        d.max_surge = surge;
        d.max_unavailable = unavailable;
      });
      return "change limits";
    }
  }
}

void SimulatedWorld::Settle() {
  for (Host& host : hosts_) {
    if (!host.ready && std::uniform_int_distribution<int>(0, 3)(rng_) != 0) {
      host.ready = true;
      host.not_ready_since = absl::InfinitePast();
    }
  }
  ChangeSpec([](DesiredUnikernel& d) { d.paused = false; });
  if (desired_.has_value() && std::uniform_int_distribution<int>(0, 4)(rng_) == 0) {
    desired_->deleting = true;
  }
}

}  // namespace nanoplane::controller::core::testing
