#pragma once

// The Unikernel CustomResourceDefinition, generated from the proto descriptors
// and their schema options: the openAPIV3Schema (types, enums, bounds, patterns,
// defaults, required fields, descriptions), the status and scale subresources,
// and kubectl's printer columns. crds/unikernels.nanoplane.dev.yaml is this text.

#include <string>

#include "common/json.h"

namespace nanoplane {

Json UnikernelCrd();

// The CRD as YAML, with a header saying how it was made.
std::string UnikernelCrdYaml();

}  // namespace nanoplane
