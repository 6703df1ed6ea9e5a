#include "common/kube/api_status.h"

#include <utility>

#include "absl/strings/cord.h"
#include "common/strings.h"

namespace nanoplane::kube {
namespace {

constexpr char kPayloadUrl[] = "type.nanoplane.dev/kube.ApiStatus";

std::string StringAt(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

int IntAt(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number_integer() ? it->get<int>() : 0;
}

Json ToJson(const ApiStatus& status) {
  Json causes = Json::array();
  for (const auto& cause : status.causes) {
    causes.push_back({{"reason", cause.reason}, {"message", cause.message}, {"field", cause.field}});
  }
  return {{"kind", "Status"},
          {"code", status.code},
          {"reason", status.reason},
          {"message", status.message},
          {"details",
           {{"name", status.name},
            {"group", status.group},
            {"kind", status.kind},
            {"causes", causes},
            {"retryAfterSeconds", status.retry_after_seconds}}}};
}

std::string HttpReasonPhrase(int code) {
  switch (code) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

std::string Answered(const ApiStatus& status, const RequestInfo& request) {
  std::string phrase = HttpReasonPhrase(status.code);
  return StrCat("the Kubernetes API server answered ", status.code, phrase.empty() ? "" : " ",
                phrase, " to ", request.method, " ", request.path,
                status.message.empty() ? "" : ": ", status.message);
}

// 422's message usually lists the fields already; make sure every cause's is there.
std::string InvalidMessage(const ApiStatus& status, const RequestInfo& request) {
  std::string message = status.message.empty() ? Answered(status, request) : status.message;
  std::vector<std::string> missing;
  for (const auto& cause : status.causes) {
    if (!cause.field.empty() && message.find(cause.field) == std::string::npos) {
      missing.push_back(StrCat(cause.field, ": ", cause.message));
    }
  }
  return missing.empty() ? message : StrCat(message, " (", StrJoin(missing, "; "), ")");
}

std::string NotFoundMessage(const ApiStatus& status, const RequestInfo& request) {
  if (!status.name.empty()) {
    return status.message;
  }
  // No name in the details: the path itself matched nothing, the resource type
  // is unknown to this server. Ours come from crds/.
  std::string resource = QualifiedResource(request.path);
  if (resource.empty()) {
    return StrCat("the Kubernetes API server has nothing at ", request.path, " (404)");
  }
  bool ours = resource.ends_with(".nanoplane.dev");
  return StrCat("the server has no resource ", resource,
                ours ? "; install crds/ (kubectl apply -f crds/)" : "", " (", request.method, " ",
                request.path, " answered 404)");
}

absl::StatusCode CodeFor(const ApiStatus& status) {
  switch (status.code) {
    case 400: return absl::StatusCode::kInvalidArgument;
    case 401: return absl::StatusCode::kUnauthenticated;
    case 403: return absl::StatusCode::kPermissionDenied;
    case 404: return absl::StatusCode::kNotFound;
    case 405: return absl::StatusCode::kUnimplemented;
    case 408: return absl::StatusCode::kDeadlineExceeded;
    case 409:
      return status.reason == "AlreadyExists" ? absl::StatusCode::kAlreadyExists
                                              : absl::StatusCode::kAborted;
    case 410: return absl::StatusCode::kOutOfRange;
    case 422: return absl::StatusCode::kInvalidArgument;
    case 429: return absl::StatusCode::kUnavailable;
    case 504: return absl::StatusCode::kDeadlineExceeded;
    default: break;
  }
  if (status.code >= 500) {
    // The API server's 500s are mostly its storage (etcd) failing: worth a retry.
    return absl::StatusCode::kUnavailable;
  }
  return status.code >= 400 ? absl::StatusCode::kInvalidArgument : absl::StatusCode::kUnknown;
}

std::string MessageFor(const ApiStatus& status, const RequestInfo& request) {
  switch (status.code) {
    case 401:
      return StrCat("the Kubernetes API server at ", request.server,
                    " rejected the credentials (401 Unauthorized) of ", request.credentials);
    case 403:
    case 409:
    case 410:
      return status.message.empty() ? Answered(status, request) : status.message;
    case 404: return NotFoundMessage(status, request);
    case 422: return InvalidMessage(status, request);
    default: return Answered(status, request);
  }
}

}  // namespace

std::optional<ApiStatus> ApiStatusFromJson(const Json& object) {
  if (!object.is_object() || StringAt(object, "kind") != "Status") {
    return std::nullopt;
  }
  ApiStatus out{.code = IntAt(object, "code"),
                .reason = StringAt(object, "reason"),
                .message = StringAt(object, "message")};
  auto details = object.find("details");
  if (details != object.end() && details->is_object()) {
    out.name = StringAt(*details, "name");
    out.group = StringAt(*details, "group");
    out.kind = StringAt(*details, "kind");
    out.retry_after_seconds = IntAt(*details, "retryAfterSeconds");
    auto causes = details->find("causes");
    if (causes != details->end() && causes->is_array()) {
      for (const Json& cause : *causes) {
        if (cause.is_object()) {
          out.causes.push_back({.reason = StringAt(cause, "reason"),
                                .message = StringAt(cause, "message"),
                                .field = StringAt(cause, "field")});
        }
      }
    }
  }
  return out;
}

std::optional<ApiStatus> DecodeApiStatus(std::string_view body) {
  Json object = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  return ApiStatusFromJson(object);
}

absl::Status ErrorFromApiStatus(const ApiStatus& status, const RequestInfo& request) {
  absl::Status error(CodeFor(status), MessageFor(status, request));
  error.SetPayload(kPayloadUrl, absl::Cord(ToJson(status).dump()));
  return error;
}

absl::Status ErrorFromResponse(int http_code, std::string_view body, const RequestInfo& request) {
  ApiStatus status = DecodeApiStatus(body).value_or(ApiStatus{});
  // The HTTP code is the truth: a proxy's body may say anything.
  status.code = http_code;
  if (status.reason.empty() && http_code == 404) {
    status.reason = "NotFound";
  }
  return ErrorFromApiStatus(status, request);
}

std::optional<ApiStatus> ApiStatusOf(const absl::Status& status) {
  auto payload = status.GetPayload(kPayloadUrl);
  if (!payload) {
    return std::nullopt;
  }
  return DecodeApiStatus(std::string(*payload));
}

std::string QualifiedResource(std::string_view path) {
  std::vector<std::string_view> parts = StrSplit(path, '/');
  // "", "api", "v1", ... or "", "apis", GROUP, VERSION, ...
  size_t rest;
  std::string_view group;
  if (parts.size() >= 4 && parts[1] == "api") {
    rest = 3;
  } else if (parts.size() >= 5 && parts[1] == "apis") {
    group = parts[2];
    rest = 4;
  } else {
    return "";
  }
  if (parts.size() > rest + 2 && parts[rest] == "namespaces") {
    rest += 2;
  }
  std::string_view resource = parts[rest];
  if (resource.empty()) {
    return "";
  }
  return group.empty() ? std::string(resource) : StrCat(resource, ".", group);
}

}  // namespace nanoplane::kube
