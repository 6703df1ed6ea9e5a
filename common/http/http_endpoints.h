#pragma once

// The operational HTTP endpoints of the agent and the controller: /healthz,
// /readyz and Prometheus /metrics, served on one address.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/metrics.h"

namespace nanoplane {

struct HttpEndpointsOptions {
  std::string address = "127.0.0.1:0";  // host:port; port 0 picks a free one
  // Readiness: an empty string means ready, anything else is why not (503).
  std::function<std::string()> ready = [] { return std::string(); };
};

class HttpEndpoints {
 public:
  // Starts serving. InvalidArgument for a malformed address, Unavailable when
  // it cannot be bound.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<HttpEndpoints>> Start(
      HttpEndpointsOptions options, const MetricsRegistry& metrics);
  virtual ~HttpEndpoints() = default;

  // "127.0.0.1:43125": where it listens.
  virtual std::string address() const = 0;
};

}  // namespace nanoplane
