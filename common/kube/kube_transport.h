#pragma once

// The HTTP side of KubeClient (internal to np_kube): one attempt of one request
// over cpprestsdk, with TLS and credentials set up from the KubeConfig, and the
// cpprestsdk exceptions turned into statuses here, at the boundary. No retries
// and no rate limit here: kube_client.cc does those.
// Thread-safety: Send may be called from any number of threads.

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/kube/api_status.h"
#include "common/kube/kube_client.h"
#include "common/kube/token_source.h"

namespace web::http::client {
class http_client;
}

namespace nanoplane::kube {

// Whether a failed attempt may be tried again.
enum class RetryClass {
  kNever,       // trying again cannot help (a TLS failure, a bad token file)
  kIdempotent,  // the request may have reached the server: only safe verbs
  kAlways,      // the request never left (connection refused)
};

struct Answer {
  int status_code = 0;
  std::string body;  // for a streamed 2xx answer: empty, see `stream`
  std::string content_type;
  std::optional<absl::Duration> retry_after;
  std::optional<WatchStream::Body> stream;
};

struct Attempt {
  absl::StatusOr<Answer> answer;
  RetryClass retry = RetryClass::kIdempotent;
};

class KubeClient::Transport {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Transport>> New(KubeConfig config,
                                                                     const ClientOptions& options);
  ~Transport();

  // One attempt. With `stream`, a 2xx answer's body is left to read as it comes
  // (Answer::stream), and the watch client (long idle timeout) carries it.
  Attempt Send(const RequestSpec& spec, bool stream);

  RequestInfo Info(const RequestSpec& spec) const;
  const KubeConfig& config() const { return config_; }
  const ClientOptions& options() const { return options_; }

 private:
  Transport(KubeConfig config, ClientOptions options);
  absl::StatusOr<std::string> BearerToken();

  const KubeConfig config_;
  const ClientOptions options_;
  std::unique_ptr<FileTokenSource> token_file_;
  std::unique_ptr<web::http::client::http_client> client_;
  std::unique_ptr<web::http::client::http_client> watch_client_;
};

}  // namespace nanoplane::kube
