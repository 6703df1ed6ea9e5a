#pragma once

// The edge between the API's generated types and the core's plain ones. The
// decisions never see a protobuf message; the app converts the stored
// Unikernel on the way in and the status on the way out.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/api.h"
#include "controller/core/types.h"

namespace nanoplane::controller::core {

// The finalizer that keeps a deleted Unikernel until its instances are stopped.
inline constexpr std::string_view kFinalizer = "nanoplane.dev/instances";

// RFC 3339 in UTC with a Z, to the second, as Kubernetes writes times.
std::string FormatTimestamp(absl::Time time);
// InvalidArgument when `text` is not RFC 3339. An empty text is InfinitePast.
[[nodiscard]] absl::StatusOr<absl::Time> ParseTimestamp(std::string_view text);

// The template's identity: sha256 over its canonical JSON (the codec's
// encoding after defaulting: schema field order, sorted map keys), so equal
// templates hash equally however they were written.
Template TemplateFromProto(const v1alpha1::UnikernelTemplate& tmpl);

// The stored object as the core sees it; defaults are applied to a copy first.
// InvalidArgument (with the field path) for an int-or-percent that is neither,
// or a timestamp in the status that does not parse.
[[nodiscard]] absl::StatusOr<DesiredUnikernel> DesiredFromProto(const v1alpha1::Unikernel& object);

v1alpha1::UnikernelStatus StatusToProto(const UnikernelStatus& status);
// InvalidArgument when a timestamp does not parse.
[[nodiscard]] absl::StatusOr<UnikernelStatus> StatusFromProto(
    const v1alpha1::UnikernelStatus& status);

}  // namespace nanoplane::controller::core
