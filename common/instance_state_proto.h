#pragma once

// The instance phase's wire form: v1alpha1::InstancePhase, which follows
// common/instance_state.h's order one above (0 is unspecified).

#include <optional>

#include "common/instance_state.h"
#include "nanoplane/v1alpha1/unikernel.pb.h"

namespace nanoplane {

v1alpha1::InstancePhase PhaseToProto(InstancePhase phase);

// nullopt for INSTANCE_PHASE_UNSPECIFIED and for a value this build does not
// know (a newer writer's): each reader says what that means to it.
std::optional<InstancePhase> PhaseFromProto(v1alpha1::InstancePhase phase);

}  // namespace nanoplane
