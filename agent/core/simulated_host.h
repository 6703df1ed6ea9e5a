#pragma once

// A simulated host for convergence tests: VMs that boot, run and stop as a
// script says, and an image builder that takes a while. It executes the local
// reconciler's actions the way the app would, with no I/O.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent/core/actions.h"
#include "agent/core/types.h"

namespace nanoplane::agent::core::testing {

// How one boot of a guest goes: it runs for `runs_for`, then stops as said.
struct Boot {
  absl::Duration runs_for = absl::InfiniteDuration();
  StopReason stop_reason = StopReason::kExited;
  std::optional<int32_t> exit_code;
};

// The boots of every VM of one spec hash, in order; the last one repeats.
using Script = std::vector<Boot>;

class SimulatedHost {
 public:
  // `scripts` by spec hash; a spec without one runs forever.
  explicit SimulatedHost(std::map<std::string, Script> scripts,
                         absl::Duration build_time = absl::Seconds(3));

  // Moves the host to `now`: guests whose run is over stop, builds finish.
  void AdvanceTo(absl::Time now);

  // Executes one action at the current time.
  void Apply(const Action& action);

  // A VM of ours, as the driver would list it.
  void AddVm(const InstanceIdentity& identity);
  // A VM the agent does not manage.
  void AddForeignVm(const std::string& name);

  std::vector<ObservedVm> List() const;
  Activity activity() const;
  // Fills in image keys for the specs whose image is built (the app's cache lookup).
  Assignment WithImages(Assignment assignment) const;

  int boots(const std::string& name) const;
  bool has_vm(const std::string& name) const { return vms_.contains(name); }

 private:
  struct Vm {
    ObservedVm observed;
    int boots = 0;
    absl::Time stops_at = absl::InfiniteFuture();
  };

  void BootVm(Vm& vm);
  void Apply(const BuildImage& action);
  void Apply(const StartInstance& action);
  void Apply(const RestartInstance& action);
  void Apply(const StopInstance& action);
  void Apply(const DeleteInstance& action);

  std::map<std::string, Script> scripts_;
  absl::Duration build_time_;
  absl::Time now_ = absl::UnixEpoch();
  std::map<std::string, Vm> vms_;
  std::map<std::string, absl::Time> builds_;  // spec hash -> done at
  std::set<std::string> images_;
};

}  // namespace nanoplane::agent::core::testing
