#pragma once

// KubeClient: requests to one Kubernetes API server, over cpprestsdk's HTTP
// client, with the credentials of a KubeConfig (kube_config.h).
//
// - TLS: the config's CA only (the system's roots when it names none), the
//   client certificate, the server's name checked (or tls-server-name), unless
//   insecure-skip-tls-verify. A bearer token goes in Authorization; a token file
//   is re-read as it rotates.
// - A client-side rate limit (ClientOptions::qps / burst, as client-go's
//   --kube-api-qps / --kube-api-burst): every request and retry takes a token;
//   a watch takes one when it starts.
// - Retries, with exponential back-off or the server's Retry-After seconds,
//   bounded by max_attempts: on 429 and 503 for every verb (the server did not
//   process the request); on other 5xx and on connection failures only for GET,
//   HEAD, PUT and DELETE (a retried POST or PATCH could apply twice).
// - A per-attempt timeout (request_timeout, or RequestSpec::timeout).
//
// Failures (absl::Status):
//   Unavailable       the server cannot be reached ("cannot reach the Kubernetes
//                     API server at https://127.0.0.1:6443: connection refused"),
//                     the TLS handshake failed, 429 / 5xx after the last attempt
//   DeadlineExceeded  no answer within the timeout
//   Unauthenticated   401 (naming the user and the kubeconfig), or the token
//                     file cannot be read
//   others            the HTTP answer, as api_status.h maps it; ApiStatusOf()
//                     gives the decoded metav1.Status and HTTP code
//   Internal          a 2xx answer that is not JSON, where JSON was expected
// Tokens, keys and certificates never appear in a message or a log line.
//
// Thread-safety: every method may be called from any number of threads.
// REQUIRES: the WatchStreams a client made are destroyed before it.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/json.h"
#include "common/kube/kube_config.h"
#include "common/kube/watch_stream.h"

namespace nanoplane::kube {

class TokenBucket;

struct ClientOptions {
  double qps = 5;  // client-go's defaults; qps <= 0: no limit
  int burst = 10;
  absl::Duration request_timeout = absl::Seconds(30);
  int max_attempts = 5;  // 1: no retries
  absl::Duration initial_backoff = absl::Milliseconds(250);
  absl::Duration max_backoff = absl::Seconds(8);
  absl::Duration max_retry_after = absl::Seconds(30);  // a longer Retry-After is cut to this
  // A watch's timeoutSeconds when the caller's query has none; the server
  // ends the watch then, cleanly (WatchStream: IsWatchEnded).
  absl::Duration watch_timeout = absl::Minutes(5);
  // How long a watch may go without a byte before the connection is taken
  // for dead: cpprestsdk's timeout is an idle timeout, so this must exceed
  // any timeoutSeconds a caller asks for (bookmarks come about every minute).
  absl::Duration watch_idle_timeout = absl::Minutes(11);
  std::string user_agent = "nanoplane/0.1";
  // Called after each Request (not watches) with its method, path, the time
  // it took as the caller saw it (the rate limiter's wait and retries
  // included) and its outcome: for metrics and benchmarks. Any thread.
  std::function<void(std::string_view method, std::string_view path, absl::Duration took,
                     const absl::Status& outcome)>
      on_request;
};

using Query = std::vector<std::pair<std::string, std::string>>;

inline constexpr char kJson[] = "application/json";
inline constexpr char kMergePatch[] = "application/merge-patch+json";
inline constexpr char kJsonPatch[] = "application/json-patch+json";
inline constexpr char kStrategicMergePatch[] = "application/strategic-merge-patch+json";
inline constexpr char kApplyPatch[] = "application/apply-patch+yaml";

struct RequestSpec {
  std::string method = "GET";
  std::string path;  // "/apis/nanoplane.dev/v1alpha1/namespaces/default/unikernels/web/status"
  Query query;       // values are URL-encoded here
  std::string body;  // empty: none
  std::string content_type = kJson;
  absl::Duration timeout = absl::ZeroDuration();  // zero: ClientOptions::request_timeout
};

struct Response {
  int status_code = 0;
  std::string body;
  std::string content_type;
  // The body as JSON; Internal naming the request when it is not.
  [[nodiscard]] absl::StatusOr<Json> JsonBody() const;
};

class KubeClient {
 public:
  // InvalidArgument when the config cannot make a client (a bad server URL).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<KubeClient>> New(KubeConfig config,
                                                                      ClientOptions options = {});
  ~KubeClient();

  // One request, retried as above. OK only for a 2xx answer.
  [[nodiscard]] absl::StatusOr<Response> Request(const RequestSpec& spec);

  // The verbs, on JSON. Get also serves lists (`limit`, `continue`,
  // `labelSelector` in `query`).
  [[nodiscard]] absl::StatusOr<Json> Get(const std::string& path, const Query& query = {});
  [[nodiscard]] absl::StatusOr<Json> Create(const std::string& path, const Json& object,
                                            const Query& query = {});
  [[nodiscard]] absl::StatusOr<Json> Update(const std::string& path, const Json& object,
                                            const Query& query = {});
  // `patch` is JSON for the JSON patch types, and YAML or JSON for kApplyPatch
  // (which needs fieldManager in `query`).
  [[nodiscard]] absl::StatusOr<Json> Patch(const std::string& path, std::string_view content_type,
                                           std::string patch, const Query& query = {});
  // `options` is a DeleteOptions (preconditions, propagationPolicy), or null.
  // The answer: the object (still there with a deletionTimestamp when
  // finalizers hold it) or a success Status.
  [[nodiscard]] absl::StatusOr<Json> Delete(const std::string& path,
                                            const Json& options = nullptr,
                                            const Query& query = {});

  // A watch of `path` (a collection) from `query`'s resourceVersion; watch=true
  // and timeoutSeconds (ClientOptions::watch_timeout) are added unless present.
  // The start fails as Request does; after that, the stream reports.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const std::string& path,
                                                                   Query query = {});

  const KubeConfig& config() const;

  class Transport;

 private:
  KubeClient(std::unique_ptr<Transport> transport, std::unique_ptr<TokenBucket> limiter,
             decltype(ClientOptions::on_request) on_request);
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<TokenBucket> limiter_;
  const decltype(ClientOptions::on_request) on_request_;
};

}  // namespace nanoplane::kube
