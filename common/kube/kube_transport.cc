#include "common/kube/kube_transport.h"

#include <cpprest/http_client.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <chrono>
#include <future>
#include <utility>

#include "common/strings.h"

namespace nanoplane::kube {
namespace {

namespace http = web::http;
using http::client::http_client;
using http::client::http_client_config;

// Only the kubeconfig's CA, not the system's roots too (cpprestsdk loads those
// first): a cluster CA vouches for that cluster only.
void TrustOnly(SSL_CTX* ctx, const std::string& ca_pem) {
  X509_STORE* store = X509_STORE_new();
  BIO* bio = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, cert);
    X509_free(cert);
  }
  BIO_free(bio);
  ERR_clear_error();
  SSL_CTX_set_cert_store(ctx, store);  // takes ownership, frees the old store
}

void ConfigureTls(boost::asio::ssl::context& ctx, const KubeConfig& config) {
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  if (!config.ca_pem.empty()) {
    TrustOnly(ctx.native_handle(), config.ca_pem);
  }
  if (!config.client_certificate_pem.empty()) {
    // Checked when the config was loaded; the error_code forms do not throw.
    boost::system::error_code ec;
    ctx.use_certificate_chain(boost::asio::buffer(config.client_certificate_pem), ec);
    ctx.use_private_key(boost::asio::buffer(config.client_key_pem), boost::asio::ssl::context::pem,
                        ec);
  }
}

http_client_config ClientConfig(const KubeConfig& config, absl::Duration idle_timeout) {
  http_client_config out;
  out.set_timeout(absl::ToChronoMilliseconds(idle_timeout));
  out.set_validate_certificates(!config.insecure_skip_tls_verify);
  out.set_ssl_context_callback(
      [config](boost::asio::ssl::context& ctx) { ConfigureTls(ctx, config); });
  return out;
}

// Waits for `task` until `deadline`, then cancels it: cpprestsdk's own timeout
// is an idle timeout, not a deadline.
template <typename T>
bool WaitUntil(const pplx::task<T>& task, absl::Time deadline,
               pplx::cancellation_token_source& cancel) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> finished = done->get_future();
  task.then([done](const pplx::task<T>&) { done->set_value(); });
  if (finished.wait_until(absl::ToChronoTime(deadline)) == std::future_status::ready) {
    return true;
  }
  cancel.cancel();
  finished.wait();
  try {
    // pplx terminates the process over an exception nobody looked at.
    task.wait();
  } catch (...) {
  }
  return false;
}

std::optional<absl::Duration> RetryAfter(const http::http_headers& headers) {
  auto it = headers.find("Retry-After");
  if (it == headers.end()) {
    return std::nullopt;
  }
  std::optional<int64_t> seconds = ParseInt64(it->second);
  if (!seconds || *seconds < 0) {
    return std::nullopt;  // the HTTP-date form: the back-off applies instead
  }
  return absl::Seconds(*seconds);
}

// What a cpprestsdk exception means, for a person and for the retry policy.
Attempt Failed(const std::exception& e, const RequestInfo& info, absl::Duration timeout) {
  const std::string what = e.what();
  int code = 0;
  if (const auto* http_error = dynamic_cast<const http::http_exception*>(&e)) {
    code = http_error->error_code().value();
  }
  const std::string at = StrCat("cannot reach the Kubernetes API server at ", info.server, ": ");
  // cpprestsdk reports a refused connect as EHOSTUNREACH.
  if (code == ECONNREFUSED || code == EHOSTUNREACH) {
    return {absl::UnavailableError(StrCat(at, "connection refused")), RetryClass::kAlways};
  }
  if (what.find("resolve") != std::string::npos) {
    return {absl::UnavailableError(StrCat(at, "cannot resolve the host name")), RetryClass::kAlways};
  }
  if (what.find("handshake") != std::string::npos) {
    return {absl::UnavailableError(StrCat(
                "the TLS handshake with the Kubernetes API server at ", info.server,
                " failed: check certificate-authority, tls-server-name and the client "
                "certificate of ", info.credentials)),
            RetryClass::kNever};
  }
  if (code == ETIMEDOUT) {
    return {absl::DeadlineExceededError(StrCat("the Kubernetes API server at ", info.server,
                                               " did not answer ", info.method, " ", info.path,
                                               " within ", absl::FormatDuration(timeout))),
            RetryClass::kIdempotent};
  }
  return {absl::UnavailableError(StrCat("lost the connection to the Kubernetes API server at ",
                                        info.server, " during ", info.method, " ", info.path, ": ",
                                        what)),
          RetryClass::kIdempotent};
}

// A streamed body, read as it arrives: one byte (blocking), then whatever else
// has come. cpprestsdk's getn(n) would wait for all n bytes.
WatchStream::Body StreamBody(http::http_response response,
                             std::shared_ptr<pplx::cancellation_token_source> cancel) {
  auto buffer = response.body().streambuf();
  auto read = [response, buffer]() mutable -> absl::StatusOr<std::string> {
    try {
      auto first = buffer.bumpc().get();
      if (first == concurrency::streams::streambuf<uint8_t>::traits::eof()) {
        if (std::exception_ptr error = buffer.exception()) {
          std::rethrow_exception(error);
        }
        return std::string();
      }
      std::string out(1, static_cast<char>(first));
      if (size_t more = buffer.in_avail(); more > 0) {
        out.resize(1 + more);
        size_t got = buffer.getn(reinterpret_cast<uint8_t*>(&out[1]), more).get();
        out.resize(1 + got);
      }
      return out;
    } catch (const std::exception& e) {
      return absl::UnavailableError(e.what());
    }
  };
  return {.read = std::move(read), .cancel = [cancel] { cancel->cancel(); }};
}

}  // namespace

KubeClient::Transport::Transport(KubeConfig config, ClientOptions options)
    : config_(std::move(config)), options_(std::move(options)) {}

KubeClient::Transport::~Transport() = default;

absl::StatusOr<std::unique_ptr<KubeClient::Transport>> KubeClient::Transport::New(
    KubeConfig config, const ClientOptions& options) {
  std::unique_ptr<Transport> transport(new Transport(std::move(config), options));
  const KubeConfig& c = transport->config_;
  if (!c.token_file.empty()) {
    transport->token_file_ = std::make_unique<FileTokenSource>(c.token_file);
  }
  try {
    web::uri server(c.server);
    if (server.scheme() != "https" && server.scheme() != "http") {
      return absl::InvalidArgumentError(StrCat("server \"", c.server, "\" is not an http(s) URL"));
    }
    transport->client_ =
        std::make_unique<http_client>(server, ClientConfig(c, options.request_timeout));
    transport->watch_client_ =
        std::make_unique<http_client>(server, ClientConfig(c, options.watch_idle_timeout));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(StrCat("server \"", c.server, "\": ", e.what()));
  }
  return transport;
}

RequestInfo KubeClient::Transport::Info(const RequestSpec& spec) const {
  std::string credentials =
      config_.source.rfind("kubeconfig", 0) == 0
          ? StrCat("user \"", config_.user, "\" in ", config_.source)
          : StrCat("the ", config_.source, " (token ", config_.token_file, ")");
  return {.method = spec.method, .path = spec.path, .server = config_.server,
          .credentials = std::move(credentials)};
}

absl::StatusOr<std::string> KubeClient::Transport::BearerToken() {
  if (token_file_ != nullptr) {
    return token_file_->Token();
  }
  return config_.token;
}

Attempt KubeClient::Transport::Send(const RequestSpec& spec, bool stream) {
  const RequestInfo info = Info(spec);
  absl::StatusOr<std::string> token = BearerToken();
  if (!token.ok()) {
    return {token.status(), RetryClass::kNever};
  }
  http::http_request request(spec.method);
  web::uri_builder uri;
  uri.set_path(spec.path);
  for (const auto& [name, value] : spec.query) {
    uri.append_query(name, value, /*do_encoding=*/true);
  }
  request.set_request_uri(uri.to_uri());
  http::http_headers& headers = request.headers();
  headers.add("Accept", "application/json");
  headers.add("User-Agent", options_.user_agent);
  if (!token->empty()) {
    headers.add("Authorization", StrCat("Bearer ", *token));
  }
  if (!config_.tls_server_name.empty()) {
    // cpprestsdk takes the name for SNI and the certificate check from the Host
    // header: its only hook. The API server does not route by Host.
    headers.add("Host", config_.tls_server_name);
  }
  if (!spec.body.empty()) {
    request.set_body(spec.body, spec.content_type);
  }
  const absl::Duration timeout =
      spec.timeout > absl::ZeroDuration() ? spec.timeout : options_.request_timeout;
  const absl::Time deadline = absl::Now() + timeout;
  auto cancel = std::make_shared<pplx::cancellation_token_source>();
  try {
    http_client& client = stream ? *watch_client_ : *client_;
    pplx::task<http::http_response> sent = client.request(request, cancel->get_token());
    if (!WaitUntil(sent, deadline, *cancel)) {
      return Failed(http::http_exception(ETIMEDOUT, "timed out"), info, timeout);
    }
    http::http_response response = sent.get();
    Answer answer{.status_code = response.status_code(),
                  .content_type = response.headers().content_type(),
                  .retry_after = RetryAfter(response.headers())};
    if (stream && answer.status_code / 100 == 2) {
      answer.stream = StreamBody(response, cancel);
      return {std::move(answer)};
    }
    pplx::task<std::string> body = response.extract_utf8string(/*ignore_content_type=*/true);
    if (!WaitUntil(body, deadline, *cancel)) {
      return Failed(http::http_exception(ETIMEDOUT, "timed out"), info, timeout);
    }
    answer.body = body.get();
    return {std::move(answer)};
  } catch (const std::exception& e) {
    return Failed(e, info, timeout);
  }
}

}  // namespace nanoplane::kube
