#pragma once

// Validation that reports every problem at once, each at its field path.

#include <string_view>

#include "common/field_errors.h"
#include "google/protobuf/message.h"
#include "nanoplane/v1alpha1/unikernel.pb.h"

namespace nanoplane {

// The schema's rules for any message: required fields, minimum/maximum, string
// formats, IntOrString forms, unique list keys. Output-only fields are skipped.
void ValidateSchema(const google::protobuf::Message& message, std::string_view path,
                    FieldErrors& errors);

// Everything a Unikernel must satisfy: the schema's rules plus the rules that
// relate fields (probe ports name declared ports, maxSurge and maxUnavailable
// not both zero, ...). REQUIRES: DefaultUnikernel() was applied.
FieldErrors ValidateUnikernel(const v1alpha1::Unikernel& unikernel);

// The longest Unikernel name: instance names add "-<revision>-<5 chars>" and
// must stay a DNS label.
inline constexpr size_t kMaxUnikernelNameLength = 48;

}  // namespace nanoplane
