#pragma once

// The CustomResourceDefinitions of nanoplane.dev (Unikernel, Host), generated
// from the proto descriptors and their schema options: the openAPIV3Schema
// (types, enums, bounds, patterns, defaults, required fields, descriptions,
// CEL rules relating fields), the subresources and kubectl's printer columns.
// The files in crds/ are this text.

#include <string>
#include <vector>

#include "common/json.h"

namespace nanoplane {

Json UnikernelCrd();
Json HostCrd();

// A CRD as YAML, with a header saying how it was made, and its file name in
// crds/ ("unikernels.nanoplane.dev.yaml").
struct GeneratedCrd {
  std::string file;
  std::string yaml;
};

// Every CRD, Unikernel first.
std::vector<GeneratedCrd> AllCrds();

std::string UnikernelCrdYaml();

}  // namespace nanoplane
