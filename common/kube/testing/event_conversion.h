#pragma once

// core/v1 Events and events.k8s.io/v1 Events are one storage in the real
// server (etcd's /events), served in both forms through conversion
// (pkg/apis/events/v1/conversion.go). The fake stores the core form.
// Pure functions.

#include <vector>

#include "common/json.h"
#include "common/kube/testing/api_errors.h"

namespace nanoplane::kube::testing {

// events.k8s.io/v1 -> core/v1 (regarding -> involvedObject, note -> message,
// reportingController -> reportingComponent, deprecated* -> their old names).
Json EventsV1ToCore(const Json& event);
// core/v1 -> events.k8s.io/v1.
Json CoreToEventsV1(const Json& event);
// The core/v1 form as the real server writes it out: zero timestamps as
// null, an empty source as {}, the reporting fields as "".
Json NormalizeCoreEvent(Json event);

// What the real server refuses in a new events.k8s.io/v1 Event
// (pkg/apis/core/validation/events.go for the v1 request version).
std::vector<FieldCause> ValidateEventsV1(const Json& event);
// core/v1: involvedObject.namespace must be the event's namespace.
std::vector<FieldCause> ValidateCoreEvent(const Json& event);

}  // namespace nanoplane::kube::testing
