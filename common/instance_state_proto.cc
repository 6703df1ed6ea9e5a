#include "common/instance_state_proto.h"

namespace nanoplane {

static_assert(static_cast<int>(InstancePhase::kPending) + 1 == v1alpha1::PENDING);
static_assert(static_cast<int>(InstancePhase::kUnknown) + 1 == v1alpha1::UNKNOWN_PHASE);
static_assert(v1alpha1::InstancePhase_MAX == v1alpha1::UNKNOWN_PHASE);

v1alpha1::InstancePhase PhaseToProto(InstancePhase phase) {
  return static_cast<v1alpha1::InstancePhase>(static_cast<int>(phase) + 1);
}

std::optional<InstancePhase> PhaseFromProto(v1alpha1::InstancePhase phase) {
  if (phase <= v1alpha1::INSTANCE_PHASE_UNSPECIFIED || phase > v1alpha1::UNKNOWN_PHASE) {
    return std::nullopt;
  }
  return static_cast<InstancePhase>(static_cast<int>(phase) - 1);
}

}  // namespace nanoplane
