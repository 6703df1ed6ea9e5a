#pragma once

// The Unikernel API: its generated types and the constants that go with them.

#include <set>
#include <string>
#include <string_view>

#include "nanoplane/v1alpha1/unikernel.pb.h"

namespace nanoplane {

inline constexpr std::string_view kGroup = "nanoplane.dev";
inline constexpr std::string_view kVersion = "v1alpha1";
inline constexpr std::string_view kApiVersion = "nanoplane.dev/v1alpha1";
inline constexpr std::string_view kKind = "Unikernel";

// The reason an agent reports for an instance whose image cannot be built
// until its spec changes (a missing library, a bad package); the controller
// shows it as Degraded and does not replace the instance.
inline constexpr std::string_view kImageBuildFailed = "ImageBuildFailed";

// Nanos's debug manifest flags that spec.template.image.nanos.debug may name.
inline const std::set<std::string, std::less<>> kNanosDebugFlags = {
    "debugsyscalls", "fault", "futex_trace", "syscall_summary", "trace"};

// Manifest keys nanoplane writes from the spec; the passthrough may not set them.
inline const std::set<std::string, std::less<>> kGeneratedManifestKeys = {
    "arguments", "boot", "children", "environment", "klibs", "program"};

}  // namespace nanoplane
