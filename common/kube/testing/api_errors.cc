#include "common/strings.h"
#include "common/kube/testing/api_errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace nanoplane::kube::testing {
namespace {

constexpr char kPayloadUrl[] = "k8s.io/apimachinery/metav1.Status";

absl::StatusCode CodeFor(int http) {
  switch (http) {
    case 400: return absl::StatusCode::kInvalidArgument;
    case 401: return absl::StatusCode::kUnauthenticated;
    case 403: return absl::StatusCode::kPermissionDenied;
    case 404: return absl::StatusCode::kNotFound;
    case 409: return absl::StatusCode::kAborted;
    case 410: return absl::StatusCode::kOutOfRange;
    case 422: return absl::StatusCode::kInvalidArgument;
    case 429: return absl::StatusCode::kResourceExhausted;
    case 503: return absl::StatusCode::kUnavailable;
    case 504: return absl::StatusCode::kDeadlineExceeded;
    default: return http < 500 ? absl::StatusCode::kFailedPrecondition
                               : absl::StatusCode::kInternal;
  }
}

// `"web"` as Go's %q writes it (JSON's quoting agrees for the names Kubernetes allows).
std::string Quote(absl::string_view s) { return Json(std::string(s)).dump(); }
std::string S(absl::string_view s) { return std::string(s); }

Json Details(absl::string_view name, absl::string_view group, absl::string_view kind) {
  Json details = Json::object();
  if (!name.empty()) {
    details["name"] = S(name);
  }
  if (!group.empty()) {
    details["group"] = S(group);
  }
  details["kind"] = S(kind);
  return details;
}

}  // namespace

std::string GroupResource::String() const {
  return group.empty() ? resource : StrCat(resource, ".", group);
}

absl::Status ApiError(int code, absl::string_view reason, absl::string_view message, Json details) {
  Json body = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()},
               {"status", "Failure"}, {"message", S(message)}};
  if (!reason.empty()) {
    body["reason"] = S(reason);
  }
  if (!details.is_null()) {
    body["details"] = std::move(details);
  }
  body["code"] = code;
  absl::Status status(CodeFor(code), message);
  status.SetPayload(kPayloadUrl, absl::Cord(body.dump()));
  return status;
}

int ErrorCode(const absl::Status& status) {
  Json body = ErrorBody(status);
  return body.value("code", 500);
}

Json ErrorBody(const absl::Status& status) {
  auto payload = status.GetPayload(kPayloadUrl);
  if (payload.has_value()) {
    return Json::parse(std::string(*payload));
  }
  Json body = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()},
               {"status", "Failure"}, {"message", std::string(status.message())},
               {"reason", "InternalError"}, {"code", 500}};
  return body;
}

absl::Status NotFound(const GroupResource& gr, absl::string_view name) {
  return ApiError(404, "NotFound", StrCat(gr.String(), " ", Quote(name), " not found"),
                  Details(name, gr.group, gr.resource));
}

absl::Status AlreadyExists(const GroupResource& gr, absl::string_view name) {
  return ApiError(409, "AlreadyExists",
                  StrCat(gr.String(), " ", Quote(name), " already exists"),
                  Details(name, gr.group, gr.resource));
}

absl::Status Conflict(const GroupResource& gr, absl::string_view name, absl::string_view why) {
  return ApiError(409, "Conflict",
                  StrCat("Operation cannot be fulfilled on ", gr.String(), " ", Quote(name),
                               ": ", why),
                  Details(name, gr.group, gr.resource));
}

absl::Status ObjectModifiedConflict(const GroupResource& gr, absl::string_view name) {
  return Conflict(gr, name,
                  "the object has been modified; please apply your changes to the latest "
                  "version and try again");
}

absl::Status Invalid(absl::string_view kind, absl::string_view group, absl::string_view name,
                     const std::vector<FieldCause>& causes) {
  std::string qualified = group.empty() ? std::string(kind) : StrCat(kind, ".", group);
  std::vector<std::string> parts;
  Json causes_json = Json::array();
  for (const FieldCause& c : causes) {
    parts.push_back(StrCat(c.field, ": ", c.message));
    causes_json.push_back({{"reason", c.type}, {"message", c.message}, {"field", c.field}});
  }
  // utilerrors.Aggregate: one error alone, several as "[a, b]".
  std::string joined = parts.size() == 1 ? parts[0] : StrCat("[", StrJoin(parts, ", "), "]");
  std::string message = StrCat(qualified, " ", Quote(name), " is invalid");
  if (!parts.empty()) {
    StrAppend(&message, ": ", joined);
  }
  Json details = Details(name, group, kind);
  details["causes"] = causes_json;
  return ApiError(422, "Invalid", message, details);
}

absl::Status BadRequest(absl::string_view message) { return ApiError(400, "BadRequest", message); }

absl::Status MethodNotSupported(const GroupResource& gr, absl::string_view action) {
  return ApiError(405, "MethodNotAllowed",
                  StrCat(action, " is not supported on resources of kind ", Quote(gr.String())),
                  Details("", gr.group, gr.resource));
}

absl::Status UnsupportedMediaType(absl::string_view content_type) {
  return ApiError(415, "UnsupportedMediaType",
                  StrCat("the body of the request was in an unknown format - accepted "
                               "media types include: ",
                               content_type));
}

absl::Status Unauthorized() { return ApiError(401, "Unauthorized", "Unauthorized"); }

absl::Status Forbidden(const GroupResource& gr, absl::string_view name, absl::string_view message) {
  std::string text = name.empty()
                         ? StrCat(gr.String(), " is forbidden: ", message)
                         : StrCat(gr.String(), " ", Quote(name), " is forbidden: ", message);
  return ApiError(403, "Forbidden", text, Details(name, gr.group, gr.resource));
}

absl::Status Expired(absl::string_view message) { return ApiError(410, "Expired", message); }

absl::Status InternalError(absl::string_view message) {
  return ApiError(500, "InternalError",
                  StrCat("Internal error occurred: ", message),
                  Json{{"causes", Json::array({{{"message", S(message)}}})}});
}

FieldCause InvalidValue(absl::string_view field, const Json& value, absl::string_view detail) {
  return {.type = "FieldValueInvalid",
          .field = std::string(field),
          .message = StrCat("Invalid value: ", value.dump(), ": ", detail)};
}

FieldCause Required(absl::string_view field, absl::string_view detail) {
  return {.type = "FieldValueRequired",
          .field = std::string(field),
          .message = detail.empty() ? "Required value" : StrCat("Required value: ", detail)};
}

FieldCause ForbiddenField(absl::string_view field, absl::string_view detail) {
  return {.type = "FieldValueForbidden",
          .field = std::string(field),
          .message = detail.empty() ? "Forbidden" : StrCat("Forbidden: ", detail)};
}

}  // namespace nanoplane::kube::testing
