#include "agent/core/test_util.h"

namespace nanoplane::agent::core::testing {

InstanceIdentity Identity(const std::string& name, const std::string& spec_hash) {
  return InstanceIdentity{.name = name,
                          .ns = "default",
                          .unikernel = "web",
                          .uid = "uid-1",
                          .revision = 1,
                          .spec_hash = spec_hash};
}

DesiredInstance Desired(const std::string& name, RestartPolicy policy, const std::string& spec_hash,
                        bool built) {
  return DesiredInstance{.identity = Identity(name, spec_hash),
                         .restart_policy = policy,
                         .image_key = built ? "img-" + spec_hash : ""};
}

ObservedVm RunningVm(const InstanceIdentity& identity, absl::Time started) {
  return ObservedVm{.name = identity.name,
                    .identity = identity,
                    .state = VmState::kRunning,
                    .started_at = started};
}

ObservedVm StoppedVm(const InstanceIdentity& identity, StopReason reason,
                     std::optional<int32_t> exit_code) {
  return ObservedVm{.name = identity.name,
                    .identity = identity,
                    .state = VmState::kShutOff,
                    .stop_reason = reason,
                    .exit_code = exit_code};
}

ObservedVm ForeignVm(const std::string& name, VmState state) {
  return ObservedVm{.name = name, .state = state};
}

LocalPlan Decide(const Assignment& desired, const std::vector<ObservedVm>& observed,
                 const RuntimeStates& runtime, absl::Time now, const Activity& activity) {
  return DecideLocal(desired, observed, activity, runtime, now, LocalOptions{});
}

const InstanceReport* FindReport(const LocalPlan& plan, const std::string& name) {
  for (const InstanceReport& report : plan.reports) {
    if (report.identity.name == name) {
      return &report;
    }
  }
  return nullptr;
}

}  // namespace nanoplane::agent::core::testing
