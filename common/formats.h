#pragma once

// The string formats of the schema (DNS labels, paths, digests, ...): one
// checker each, used by validation, and the pattern the CRD carries for it.

#include <optional>
#include <string>
#include <string_view>

#include "nanoplane/schema/options.pb.h"

namespace nanoplane {

// Why `value` does not have `format`, or nullopt when it does.
std::optional<std::string> CheckFormat(schema::Format format, std::string_view value);

// The OpenAPI pattern and maxLength for a string format (empty / 0 when none).
std::string FormatPattern(schema::Format format);
int FormatMaxLength(schema::Format format);

// Kubernetes label keys ([prefix/]name) and values.
std::optional<std::string> CheckLabelKey(std::string_view key);
std::optional<std::string> CheckLabelValue(std::string_view value);

}  // namespace nanoplane
