#pragma once

// YAML <-> JSON. YAML scalars are typed by the YAML 1.2 core schema: a plain
// `8080` is an integer, a quoted "8080" is a string, plain `true` a boolean,
// `~`/`null`/empty a null. Objects keep their key order.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/json.h"

namespace nanoplane {

// Every document of a (multi-document) YAML or JSON text, in order; an empty
// document is a null. The whole text fails with InvalidArgument naming the line
// and column on a syntax error; one document fails on duplicate keys, non-scalar
// keys, nesting too deep or expanding to too many nodes (alias bombs).
[[nodiscard]] absl::StatusOr<std::vector<absl::StatusOr<Json>>> ParseYamlDocuments(
    std::string_view text);

// Block-style YAML for one value; strings that would read back as another type
// ("8080", "true", "") are quoted.
std::string JsonToYaml(const Json& value);

}  // namespace nanoplane
