#include "common/http/http_endpoints.h"

#include <arpa/inet.h>
#include <cpprest/http_listener.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/strings.h"

namespace nanoplane {
namespace {

using web::http::http_request;
using web::http::status_codes;
using web::http::experimental::listener::http_listener;

// cpprestsdk cannot listen on port 0; find a free port the usual way.
int FreePort(const std::string& host) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class CpprestEndpoints : public HttpEndpoints {
 public:
  CpprestEndpoints(std::string address, HttpEndpointsOptions options,
                   const MetricsRegistry& metrics)
      : address_(std::move(address)),
        options_(std::move(options)),
        metrics_(metrics),
        listener_(web::uri(StrCat("http://", address_))) {
    listener_.support(web::http::methods::GET, [this](http_request request) { Handle(request); });
  }
  ~CpprestEndpoints() override {
    try {
      listener_.close().wait();
    } catch (...) {
      // Closing a listener that failed to open throws; nothing is left to free.
    }
  }

  absl::Status Open() {
    try {
      listener_.open().wait();
      return absl::OkStatus();
    } catch (const std::exception& e) {
      return absl::UnavailableError(StrCat("listen on ", address_, ": ", e.what()));
    }
  }

  std::string address() const override { return address_; }

 private:
  void Handle(http_request request) {
    const std::string path = request.relative_uri().path();
    if (path == "/healthz") {
      request.reply(status_codes::OK, "ok\n", "text/plain");
    } else if (path == "/readyz") {
      std::string why = options_.ready();
      request.reply(why.empty() ? status_codes::OK : status_codes::ServiceUnavailable,
                    why.empty() ? "ok\n" : why + "\n", "text/plain");
    } else if (path == "/metrics") {
      request.reply(status_codes::OK, metrics_.Render(), "text/plain; version=0.0.4");
    } else {
      request.reply(status_codes::NotFound, "not found\n", "text/plain");
    }
  }

  std::string address_;
  HttpEndpointsOptions options_;
  const MetricsRegistry& metrics_;
  http_listener listener_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<HttpEndpoints>> HttpEndpoints::Start(
    HttpEndpointsOptions options, const MetricsRegistry& metrics) {
  size_t colon = options.address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(StrCat("\"", options.address, "\" is not HOST:PORT"));
  }
  std::string host = options.address.substr(0, colon);
  auto port = ParseInt64(options.address.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535) {
    return absl::InvalidArgumentError(StrCat("\"", options.address, "\" has no valid port"));
  }
  int chosen = *port == 0 ? FreePort(host) : static_cast<int>(*port);
  auto endpoints =
      std::make_unique<CpprestEndpoints>(StrCat(host, ":", chosen), std::move(options), metrics);
  absl::Status status = endpoints->Open();
  if (!status.ok()) {
    return status;
  }
  return endpoints;
}

}  // namespace nanoplane
