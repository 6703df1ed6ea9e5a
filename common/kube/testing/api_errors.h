#pragma once

// metav1.Status errors exactly as k8s.io/apimachinery/pkg/api/errors builds
// them (NewNotFound, NewAlreadyExists, NewConflict, NewInvalid, NewForbidden,
// ...). An error travels through the fake as an absl::Status whose payload is
// the Status body, so pure code can fail with the exact wire form.

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "common/json.h"

namespace nanoplane::kube::testing {

struct GroupResource {
  std::string group;
  std::string resource;
  // "unikernels.nanoplane.dev", or "namespaces" for the core group.
  std::string String() const;
};

// One field error of a 422 (field.Error): `field: Invalid value: "x": detail`.
struct FieldCause {
  std::string type;     // "FieldValueInvalid", "FieldValueRequired", "FieldValueForbidden"...
  std::string field;    // "spec.replicas"
  std::string message;  // the part after "field: "
};

// A Status body with code, reason, message and details; an absl::Status code
// derived from the HTTP code (404 NotFound, 409 Aborted/AlreadyExists, ...).
absl::Status ApiError(int code, absl::string_view reason, absl::string_view message,
                      Json details = nullptr);
// The HTTP code and body of an error made by ApiError (500 for any other status).
int ErrorCode(const absl::Status& status);
Json ErrorBody(const absl::Status& status);

absl::Status NotFound(const GroupResource& gr, absl::string_view name);
absl::Status AlreadyExists(const GroupResource& gr, absl::string_view name);
// "Operation cannot be fulfilled on <gr> "<name>": <why>".
absl::Status Conflict(const GroupResource& gr, absl::string_view name, absl::string_view why);
absl::Status ObjectModifiedConflict(const GroupResource& gr, absl::string_view name);
// 422: `<Kind>.<group> "<name>" is invalid: <causes joined by ", ">`.
absl::Status Invalid(absl::string_view kind, absl::string_view group, absl::string_view name,
                     const std::vector<FieldCause>& causes);
absl::Status BadRequest(absl::string_view message);
absl::Status MethodNotSupported(const GroupResource& gr, absl::string_view action);
absl::Status UnsupportedMediaType(absl::string_view content_type);
absl::Status Unauthorized();
// `<gr> "<name>" is forbidden: <message>` (no name: `<gr> is forbidden: ...`).
absl::Status Forbidden(const GroupResource& gr, absl::string_view name, absl::string_view message);
absl::Status Expired(absl::string_view message);  // 410 Gone, reason Expired
absl::Status InternalError(absl::string_view message);

// "Invalid value: <json of value>: <detail>", as field.Invalid renders it.
FieldCause InvalidValue(absl::string_view field, const Json& value, absl::string_view detail);
FieldCause Required(absl::string_view field, absl::string_view detail);
FieldCause ForbiddenField(absl::string_view field, absl::string_view detail);

}  // namespace nanoplane::kube::testing
