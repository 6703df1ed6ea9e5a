#include "common/kube/kube_client.h"

#include <algorithm>
#include <utility>

#include "common/kube/api_status.h"
#include "common/kube/kube_transport.h"
#include "common/status.h"
#include "common/kube/rate_limiter.h"
#include "common/log.h"
#include "common/strings.h"

namespace nanoplane::kube {
namespace {

bool Idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE";
}

bool RetryableCode(int code, std::string_view method) {
  return code == 429 || code == 503 || (code >= 500 && Idempotent(method));
}

absl::Duration Backoff(const ClientOptions& options, int retry) {
  absl::Duration delay = options.initial_backoff;
  for (int i = 1; i < retry && delay < options.max_backoff; ++i) {
    delay *= 2;
  }
  return std::min(delay, options.max_backoff);
}

bool HasKey(const Query& query, std::string_view key) {
  return std::any_of(query.begin(), query.end(), [&](const auto& kv) { return kv.first == key; });
}

}  // namespace

absl::StatusOr<Json> Response::JsonBody() const {
  Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::InternalError(StrCat("the Kubernetes API server's answer (", status_code, ", ",
                                      content_type.empty() ? "no content type" : content_type,
                                      ") is not JSON"));
  }
  return json;
}

// Lives here rather than in the header so that callers need not see cpprestsdk.
struct Exchange {
  KubeClient::Transport& transport;
  TokenBucket& limiter;

  absl::StatusOr<Answer> Run(const RequestSpec& spec, bool stream) {
    const ClientOptions& options = transport.options();
    const int attempts = std::max(1, options.max_attempts);
    for (int attempt = 1;; ++attempt) {
      limiter.Acquire();
      Attempt sent = transport.Send(spec, stream);
      absl::Duration delay = Backoff(options, attempt);
      if (!sent.answer.ok()) {
        bool again = sent.retry == RetryClass::kAlways ||
                     (sent.retry == RetryClass::kIdempotent && Idempotent(spec.method));
        if (!again || attempt >= attempts) {
          return sent.answer.status();
        }
        Retrying(spec, std::string(sent.answer.status().message()), delay, attempt);
        absl::SleepFor(delay);
        continue;
      }
      Answer& answer = *sent.answer;
      if (answer.status_code / 100 == 2) {
        return std::move(answer);
      }
      if (!RetryableCode(answer.status_code, spec.method) || attempt >= attempts) {
        return ErrorFromResponse(answer.status_code, answer.body, transport.Info(spec));
      }
      if (answer.retry_after) {
        delay = std::min(*answer.retry_after, options.max_retry_after);
      }
      Retrying(spec, StrCat("HTTP ", answer.status_code), delay, attempt);
      absl::SleepFor(delay);
    }
  }

  static void Retrying(const RequestSpec& spec, std::string_view why, absl::Duration delay,
                       int attempt) {
    Log(LogLevel::kDebug, "retry Kubernetes API request",
        {{"component", "kube"},
         {"method", spec.method},
         {"path", spec.path},
         {"why", std::string(why)},
         {"attempt", StrCat(attempt)},
         {"delay", absl::FormatDuration(delay)}});
  }
};

KubeClient::KubeClient(std::unique_ptr<Transport> transport, std::unique_ptr<TokenBucket> limiter,
                       decltype(ClientOptions::on_request) on_request)
    : transport_(std::move(transport)),
      limiter_(std::move(limiter)),
      on_request_(std::move(on_request)) {}

KubeClient::~KubeClient() = default;

absl::StatusOr<std::unique_ptr<KubeClient>> KubeClient::New(KubeConfig config,
                                                            ClientOptions options) {
  auto limiter = std::make_unique<TokenBucket>(options.qps, options.burst);
  NP_ASSIGN_OR_RETURN(std::unique_ptr<Transport> transport,
                      Transport::New(std::move(config), options));
  return std::unique_ptr<KubeClient>(
      new KubeClient(std::move(transport), std::move(limiter), std::move(options.on_request)));
}

const KubeConfig& KubeClient::config() const { return transport_->config(); }

absl::StatusOr<Response> KubeClient::Request(const RequestSpec& spec) {
  const absl::Time start = absl::Now();
  absl::StatusOr<Answer> exchanged = Exchange{*transport_, *limiter_}.Run(spec, false);
  if (on_request_) {
    on_request_(spec.method, spec.path, absl::Now() - start, exchanged.status());
  }
  NP_ASSIGN_OR_RETURN(Answer answer, std::move(exchanged));
  return Response{.status_code = answer.status_code,
                  .body = std::move(answer.body),
                  .content_type = std::move(answer.content_type)};
}

namespace {

absl::StatusOr<Json> JsonOf(absl::StatusOr<Response> response) {
  if (!response.ok()) {
    return response.status();
  }
  return response->JsonBody();
}

}  // namespace

absl::StatusOr<Json> KubeClient::Get(const std::string& path, const Query& query) {
  return JsonOf(Request({.method = "GET", .path = path, .query = query}));
}

absl::StatusOr<Json> KubeClient::Create(const std::string& path, const Json& object,
                                        const Query& query) {
  return JsonOf(Request({.method = "POST", .path = path, .query = query, .body = object.dump()}));
}

absl::StatusOr<Json> KubeClient::Update(const std::string& path, const Json& object,
                                        const Query& query) {
  return JsonOf(Request({.method = "PUT", .path = path, .query = query, .body = object.dump()}));
}

absl::StatusOr<Json> KubeClient::Patch(const std::string& path, std::string_view content_type,
                                       std::string patch, const Query& query) {
  return JsonOf(Request({.method = "PATCH",
                         .path = path,
                         .query = query,
                         .body = std::move(patch),
                         .content_type = std::string(content_type)}));
}

absl::StatusOr<Json> KubeClient::Delete(const std::string& path, const Json& options,
                                        const Query& query) {
  return JsonOf(Request({.method = "DELETE",
                         .path = path,
                         .query = query,
                         .body = options.is_null() ? "" : options.dump()}));
}

absl::StatusOr<std::unique_ptr<WatchStream>> KubeClient::Watch(const std::string& path,
                                                               Query query) {
  if (!HasKey(query, "watch")) {
    query.emplace_back("watch", "true");
  }
  if (!HasKey(query, "timeoutSeconds")) {
    query.emplace_back("timeoutSeconds",
                       StrCat(absl::ToInt64Seconds(transport_->options().watch_timeout)));
  }
  RequestSpec spec{.method = "GET", .path = path, .query = std::move(query)};
  NP_ASSIGN_OR_RETURN(Answer answer, (Exchange{*transport_, *limiter_}.Run(spec, true)));
  if (!answer.stream) {
    return absl::InternalError(StrCat("watch ", path, ": the answer has no body"));
  }
  return std::make_unique<WatchStream>(*std::move(answer.stream), transport_->Info(spec));
}

}  // namespace nanoplane::kube
