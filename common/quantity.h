#pragma once

// Kubernetes-style quantities of bytes: "256Mi", "1Gi", "512M", "1.5Gi", "1048576".

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace nanoplane {

// Parses a quantity into bytes. InvalidArgument (without a field path; the caller
// adds it) when the text is not a quantity, is negative, overflows, or is not a
// whole number of bytes.
[[nodiscard]] absl::StatusOr<int64_t> ParseQuantity(std::string_view text);

// The shortest exact form: the largest binary suffix (Ki..Ei) that divides the
// value, else the largest decimal one (k..E), else the plain number.
std::string FormatQuantity(int64_t bytes);

// A resolved int-or-percent: an absolute value, or a percentage of `total`
// rounded up (maxSurge) or down (maxUnavailable) as Deployments do.
int64_t ScaledValue(int64_t value, bool is_percent, int64_t total, bool round_up);

}  // namespace nanoplane
