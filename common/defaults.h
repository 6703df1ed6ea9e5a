#pragma once

// Defaulting: the one place where defaults are applied. The values come from the
// schema's default_value options (the same ones the CRD carries); the few rules
// that depend on other fields are written out in DefaultUnikernel.

#include <string>

#include "google/protobuf/message.h"
#include "nanoplane/v1alpha1/unikernel.pb.h"

namespace nanoplane {

// Sets every unset field that has a default_value, in this message and every
// message below it. Idempotent.
void ApplySchemaDefaults(google::protobuf::Message& message);

// The schema's defaults plus: RollingUpdate gets rollingUpdate {25%, 25%}.
void DefaultUnikernel(v1alpha1::Unikernel& unikernel);

// The Nanos release an image boots when it names none: the schema's default
// for spec.template.image.nanos.version, also the CLI's --nanos-version.
std::string DefaultNanosVersion();

}  // namespace nanoplane
