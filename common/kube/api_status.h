#pragma once

// The API server's failures as absl::Status, with the project's code meanings
// (common/status.h), and the decoded metav1.Status kept for callers that need
// more than the code (a store telling AlreadyExists from Conflict, a field path).
//
//   400 BadRequest, 422 Invalid (with the causes' fields)  InvalidArgument
//   401                                                    Unauthenticated
//   403 (the server's message names verb, resource, ns)    PermissionDenied
//   404 with details.name (`unikernels.nanoplane.dev "web" not found`)  NotFound
//   404 without (the resource type is unknown: a CRD not installed)  NotFound
//       "the server has no resource unikernels.nanoplane.dev; install crds/ ..."
//   405                                                    Unimplemented
//   409 reason AlreadyExists                               AlreadyExists
//   409 otherwise (Conflict: a stale resourceVersion)      Aborted
//   410 Gone / Expired (too old resource version)          OutOfRange
//   408, 504 (reason Timeout)                              DeadlineExceeded
//   429, 5xx                                               Unavailable
// The same mapping serves a watch's ERROR events, by the Status's code.
// Messages carry the server's words, never a request's credentials.
// Thread-safety: pure functions.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/json.h"

namespace nanoplane::kube {

// A metav1.Status (kind "Status"), as sent with a failure.
struct ApiStatus {
  int code = 0;        // the HTTP status code
  std::string reason;  // "AlreadyExists", "Conflict", "NotFound", "Invalid", "Expired", ...
  std::string message;
  std::string name, group, kind;  // details
  struct Cause {
    std::string reason, message, field;
    bool operator==(const Cause&) const = default;
  };
  std::vector<Cause> causes;
  int retry_after_seconds = 0;
};

// What the failed request was, for messages.
struct RequestInfo {
  std::string method;       // "GET"
  std::string path;         // "/apis/nanoplane.dev/v1alpha1/namespaces/default/unikernels"
  std::string server;       // "https://127.0.0.1:6443"
  std::string credentials;  // `user "admin" in kubeconfig ~/.kube/config`
};

// A metav1.Status from a JSON body; nullopt for anything else ("404 page not
// found" in text, a JSON object of another kind, garbage).
std::optional<ApiStatus> DecodeApiStatus(std::string_view body);
std::optional<ApiStatus> ApiStatusFromJson(const Json& object);

// The error for a non-2xx answer. The ApiStatus (decoded, or made from the HTTP
// code when the body holds none) rides along as a payload: see ApiStatusOf.
absl::Status ErrorFromResponse(int http_code, std::string_view body, const RequestInfo& request);

// The error for an ApiStatus (a decoded failure body, or a watch ERROR event's).
absl::Status ErrorFromApiStatus(const ApiStatus& status, const RequestInfo& request);

// The ApiStatus behind an error from this library; nullopt for other errors
// (a connection refused, a timeout). absl's payloads survive copies of the
// status, not a new status made from its message.
std::optional<ApiStatus> ApiStatusOf(const absl::Status& status);

// "resource.group" from a request path, as the server names it in
// messages: "unikernels.nanoplane.dev", "configmaps"; "" when the path is not a
// resource path.
std::string QualifiedResource(std::string_view path);

}  // namespace nanoplane::kube
