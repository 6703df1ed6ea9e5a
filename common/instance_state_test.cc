#include "common/instance_state.h"

#include <gtest/gtest.h>

#include "common/instance_state_proto.h"
#include "common/schema.h"

namespace nanoplane {
namespace {

TEST(InstanceStateTest, EveryPhaseRoundTripsItsWireFormAndIsNamedAsTheSchemaSpellsIt) {
  for (int p = 0; p <= static_cast<int>(InstancePhase::kUnknown); ++p) {
    const auto phase = static_cast<InstancePhase>(p);
    const v1alpha1::InstancePhase wire = PhaseToProto(phase);
    EXPECT_EQ(PhaseFromProto(wire), phase) << PhaseName(phase);
    const google::protobuf::EnumValueDescriptor* value =
        v1alpha1::InstancePhase_descriptor()->FindValueByNumber(wire);
    ASSERT_NE(value, nullptr) << PhaseName(phase);
    EXPECT_EQ(EnumJsonName(*value), PhaseName(phase));
  }
}

TEST(InstanceStateTest, AnUnspecifiedOrUnknownWirePhaseReadsAsNone) {
  EXPECT_EQ(PhaseFromProto(v1alpha1::INSTANCE_PHASE_UNSPECIFIED), std::nullopt);
  EXPECT_EQ(PhaseFromProto(static_cast<v1alpha1::InstancePhase>(v1alpha1::UNKNOWN_PHASE + 1)),
            std::nullopt);
}

TEST(InstanceStateTest, NamesVmStatesAndStopReasons) {
  EXPECT_STREQ(VmStateName(VmState::kShutOff), "shut off");
  EXPECT_STREQ(StopReasonName(StopReason::kExited), "exited");
  EXPECT_STREQ(StopReasonName(StopReason::kDestroyed), "destroyed");
}

}  // namespace
}  // namespace nanoplane
