#pragma once

// What the real apiextensions-apiserver does with a CRD's structural
// openAPIV3Schema: prune unknown fields, apply `default:`s, and validate
// types and value constraints (apiextensions-apiserver pkg/apiserver/schema/
// pruning, defaulting, and validation through kube-openapi). Pure functions.
//
// Not done, on purpose: CEL rules (x-kubernetes-validations). The real server
// evaluates them (behind a feature gate in 1.23, beta from 1.25); the fake
// accepts what they would refuse. Also not done: `format` checks other than
// none, x-kubernetes-list-type uniqueness, and metadata schema beyond name.

#include <vector>

#include "common/json.h"
#include "common/kube/testing/api_errors.h"

namespace nanoplane::kube::testing {

// Drops fields the schema does not declare (unless preserved by
// x-kubernetes-preserve-unknown-fields), and nulls of non-nullable fields.
// At the root, apiVersion, kind and metadata always stay.
void Prune(Json& object, const Json& schema);

// Sets each absent property that has a `default`, top-down.
void ApplyDefaults(Json& object, const Json& schema);

// The schema violations of `object`, with field paths ("spec.replicas").
std::vector<FieldCause> Validate(const Json& object, const Json& schema);

}  // namespace nanoplane::kube::testing
