#pragma once

// Conversions at the agent app's edges: the agent protocol's messages and the
// VM driver's values to the core's plain types, and the core's reports back
// to the protocol (STYLE.md §1: the core sees neither protobuf nor the port).

#include <optional>
#include <string>

#include "agent/core/types.h"
#include "agent/ports/vm_driver.h"
#include "nanoplane/agent/v1/agent.pb.h"

namespace nanoplane::agent::app {

core::InstanceIdentity ToCore(const v1::InstanceIdentity& identity);
core::InstanceIdentity ToCore(const InstanceIdentity& identity);
InstanceIdentity ToPort(const v1::InstanceIdentity& identity);
v1::InstanceIdentity ToProto(const core::InstanceIdentity& identity);

// A probe with a tcpSocket or httpGet action; nullopt for none (an empty
// Probe message counts as none).
std::optional<core::ProbeSpec> ToProbeSpec(const v1alpha1::Probe& probe);
bool HasProbeAction(const v1alpha1::Probe& probe);

// `image_key` is the built image's key, empty while it is not built.
core::DesiredInstance ToDesired(const v1::InstanceAssignment& instance,
                                const std::string& image_key);

core::ObservedVm ToObserved(const VmInfo& vm);

// The protocol's report: the core's, plus ports and address from `vm` (null
// when the instance has no VM).
v1::InstanceReport ToProto(const core::InstanceReport& report, const VmInfo* vm);

v1::Accelerator ToProto(Accelerator accelerator);

// RFC 3339 in UTC, e.g. 2026-11-26T17:05:00.123Z.
std::string Rfc3339(absl::Time time);

}  // namespace nanoplane::agent::app
