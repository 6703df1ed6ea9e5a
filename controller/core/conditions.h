#pragma once

// Condition bookkeeping in the apimachinery manner: lastTransitionTime moves
// only when a condition's status flips, and `now` is a parameter.

#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "controller/core/types.h"

namespace nanoplane::controller::core {

inline constexpr std::string_view kAvailable = "Available";
inline constexpr std::string_view kProgressing = "Progressing";
inline constexpr std::string_view kDegraded = "Degraded";

// The condition of `type` in `conditions`, or null.
const Condition* FindCondition(const std::vector<Condition>& conditions, std::string_view type);

// `update` with its lastTransitionTime taken from `previous` when a condition
// of that type with the same status exists there, else `now`.
Condition Transition(const std::vector<Condition>& previous, Condition update, absl::Time now);

}  // namespace nanoplane::controller::core
