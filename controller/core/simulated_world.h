#pragma once

// A simulated fleet for the core's property tests: hosts, the instances the
// controller assigned (which boot, become ready and stop after random delays),
// the stored Unikernel and its revision history, and a clock. It applies the
// controller's actions as the app and the agents would, and injects the
// failures a real fleet has (host loss and return, crashes, readiness flaps)
// plus the changes users make (applies, scale, pause).

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "controller/core/actions.h"
#include "controller/core/reconcile.h"
#include "controller/core/types.h"

namespace nanoplane::controller::core::testing {

// What the invariants count, with the controller's own definitions.
struct Census {
  int total = 0;      // instances counting toward replicas
  int available = 0;  // ready for at least minReadySeconds
};

class SimulatedWorld {
 public:
  // A fleet of four hosts, another Unikernel's instances (whose names are the
  // ones a controller seeded with `seed` would draw first), and `desired`.
  SimulatedWorld(uint64_t seed, DesiredUnikernel desired);

  // The controller's input, as the app would measure it now.
  ReconcileInput Observe() const;
  // Applies the controller's actions, as the app and the agents would.
  void Execute(const std::vector<Action>& actions);
  // Moves the clock; boots, readiness, stops and recoveries progress.
  void Advance(absl::Duration dt);

  // One random user change or failure. Returns what it was, for traces.
  std::string InjectRandomEvent();
  // Ends the chaos: hosts come back (each with probability 3/4), rollouts
  // resume, and with probability 1/5 the Unikernel is deleted.
  void Settle();

  Census Count() const;
  // No boot, readiness, stop or recovery is pending.
  bool Quiescent() const;

  const std::optional<DesiredUnikernel>& desired() const { return desired_; }
  const std::vector<Revision>& revisions() const { return revisions_; }
  absl::Time now() const { return now_; }
  // Names of every instance on the fleet, ours and the other Unikernel's.
  NameSet FleetNames() const;
  // Our instances that have not been deleted.
  std::vector<Instance> OurInstances() const;
  // True while an instance of another revision than `hash` may still run.
  bool OtherRevisionRunning(const std::string& hash) const;

 private:
  struct SimInstance {
    Instance instance;
    bool ours = true;
    Resources resources;
    absl::Time boot_at = absl::InfiniteFuture();
    absl::Time ready_at = absl::InfiniteFuture();
    absl::Time stop_at = absl::InfiniteFuture();
  };

  absl::Duration Delay(int min_seconds, int max_seconds);
  SimInstance* Find(const std::string& name);
  SimInstance* RandomOurs(bool running_only);
  Host* FindHost(const std::string& name);
  bool Counts(const SimInstance& sim) const;
  void Progress(SimInstance& sim);
  void ChangeSpec(const std::function<void(DesiredUnikernel&)>& change);
  std::string HostEvent(bool down);

  std::mt19937_64 rng_;
  absl::Time now_;
  std::optional<DesiredUnikernel> desired_;
  std::vector<Revision> revisions_;
  std::vector<Host> hosts_;
  std::vector<SimInstance> instances_;
  absl::Duration eviction_timeout_ = absl::Seconds(20);
};

}  // namespace nanoplane::controller::core::testing
