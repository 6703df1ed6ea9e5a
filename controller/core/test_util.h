#pragma once

// Builders for the core's tests: a fixed clock origin, templates with known
// hashes, hosts, instances and a desired Unikernel with small, readable values.

#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "controller/core/actions.h"
#include "controller/core/types.h"

namespace nanoplane::controller::core::testing {

inline constexpr int64_t kMi = 1024 * 1024;
inline constexpr int64_t kGi = 1024 * kMi;

// t seconds after the tests' epoch.
absl::Time At(int64_t seconds);

// A template whose canonical form is `tag`: 256Mi and 1 CPU unless given.
Template MakeTemplate(std::string_view tag, Resources resources = {256 * kMi, 1});

Revision MakeRevision(int64_t number, const Template& tmpl, absl::Time created = At(0));

// `replicas` of `tmpl`, RollingUpdate 25%/25%, status empty.
DesiredUnikernel MakeDesired(int32_t replicas, const Template& tmpl, std::string name = "web");

// A Ready host with 4Gi and 4 CPUs free unless given.
Host MakeHost(std::string name, Labels labels = {}, Resources allocatable = {4 * kGi, 4});

// A Running instance, ready since `ready_since` (or not ready when InfinitePast).
Instance RunningInstance(std::string name, std::string host, const Template& tmpl,
                         absl::Time ready_since = At(0));

// An instance with the given phase, not ready.
Instance InstanceIn(InstancePhase phase, std::string name, std::string host, const Template& tmpl);

// The actions with instance names of StartInstance replaced by "<new>" (after
// checking they have the `<unikernel>-<hash10>-<5>` shape) and PatchStatus
// contents cleared, for table rows that spell the decision, not the noise.
std::vector<Action> Normalized(const std::vector<Action>& actions, std::string_view unikernel);

// Shorthands for expected actions.
Action Start(std::string host, const Template& tmpl, int64_t revision);
Action Stop(std::string name, std::string host, std::string reason);
Action Delete(std::string name, std::string host);
Action Patch();

}  // namespace nanoplane::controller::core::testing
