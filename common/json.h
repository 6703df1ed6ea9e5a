#pragma once

// The project's JSON value: insertion-ordered, so objects keep the field order of
// the schema (and of the user's YAML) when written back out.

#include "nlohmann/json.hpp"

namespace nanoplane {

using Json = nlohmann::ordered_json;

}  // namespace nanoplane
