#pragma once

// SimulatedHost: what an agent does with its assignment, without VMs, for the
// app's tests: every assigned instance boots after `boot_delay` (Starting, then
// Running), becomes ready after `ready_delay`, and disappears at once when it
// is no longer assigned; the host reports every instance it runs. Instances
// survive an agent "restart" (they run on), as VMs do.
//
// Thread-safe.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "nanoplane/agent/v1/agent.pb.h"

namespace nanoplane::controller::app::testing {

struct SimulatedHostOptions {
  std::string name;
  std::map<std::string, std::string> labels;
  int64_t memory_bytes = 8LL << 30;
  int32_t cpus = 8;
  absl::Duration boot_delay = absl::Milliseconds(100);
  absl::Duration ready_delay = absl::Milliseconds(50);
  // A new instance is left out of reports this long, although the assignment
  // that added it is acknowledged: an agent whose view lags its generation.
  absl::Duration report_delay = absl::ZeroDuration();
};

class SimulatedHost {
 public:
  explicit SimulatedHost(SimulatedHostOptions options) : options_(std::move(options)) {}

  // Takes a new desired set (older generations are ignored).
  void Apply(const agent::v1::Assignment& assignment, absl::Time now);
  // Moves boots and readiness on; true when anything changed.
  bool Tick(absl::Time now);
  // Makes `name` exit with `exit_code` (Failed), as a crash without restart.
  void Fail(const std::string& name);

  agent::v1::Hello Hello() const;
  agent::v1::Report Report() const;
  // Calls `visit` for every instance it runs, without copying (under its lock).
  void Visit(const std::function<void(const agent::v1::InstanceReport&)>& visit) const;
  // Names of the instances it runs, sorted.
  std::vector<std::string> Running() const;
  int64_t applied_generation() const;
  const std::string& name() const { return options_.name; }

 private:
  struct Vm {
    agent::v1::InstanceReport report;
    absl::Time boot_at;
    absl::Time ready_at;
    absl::Time reported_from;
  };

  const SimulatedHostOptions options_;
  mutable absl::Mutex mutex_;
  std::map<std::string, Vm> vms_ ABSL_GUARDED_BY(mutex_);
  int64_t applied_generation_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace nanoplane::controller::app::testing
