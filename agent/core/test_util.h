#pragma once

// Builders for the agent core's tests: short names for the values every test
// writes, so that each test shows only what matters to it.

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent/core/local_reconciler.h"
#include "agent/core/types.h"

namespace nanoplane::agent::core::testing {

// An arbitrary fixed instant; tests count from it.
inline const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

InstanceIdentity Identity(const std::string& name, const std::string& spec_hash = "h1");

// A desired instance of spec `spec_hash`, built (image "img-<hash>") unless
// `built` is false.
DesiredInstance Desired(const std::string& name, RestartPolicy policy = RestartPolicy::kAlways,
                        const std::string& spec_hash = "h1", bool built = true);

ObservedVm RunningVm(const InstanceIdentity& identity, absl::Time started = kT0);
ObservedVm StoppedVm(const InstanceIdentity& identity, StopReason reason,
                     std::optional<int32_t> exit_code = std::nullopt);
// A VM without nanoplane's metadata.
ObservedVm ForeignVm(const std::string& name, VmState state = VmState::kRunning);

// DecideLocal with default options (grace 30 s, back-off 10 s .. 5 min).
LocalPlan Decide(const Assignment& desired, const std::vector<ObservedVm>& observed,
                 const RuntimeStates& runtime, absl::Time now, const Activity& activity = {});

const InstanceReport* FindReport(const LocalPlan& plan, const std::string& name);

}  // namespace nanoplane::agent::core::testing
