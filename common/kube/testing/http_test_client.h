#pragma once

// A plain-HTTP client for tests of the fake API server: one request per
// connection, and a streaming watch reader. Not for production: no TLS, no
// redirects.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "common/json.h"

namespace nanoplane::kube::testing {

struct HttpResult {
  int code = 0;  // 0 when the connection failed
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  Json json() const;  // the body parsed, or discarded when not JSON
};

struct ClientRequest {
  std::string method = "GET";
  std::string path;  // with the query
  std::string body;
  std::string content_type = "application/json";
  std::string token;   // Authorization: Bearer, when set
  std::string accept;  // Accept, when set
};

HttpResult Send(int port, const ClientRequest& request, absl::Duration timeout = absl::Seconds(10));

// An open watch: reads newline-delimited events from a chunked response.
class WatchReader {
 public:
  static std::unique_ptr<WatchReader> Open(int port, const ClientRequest& request);
  ~WatchReader();
  int code() const { return code_; }
  // The next event ({"type":..., "object":...}), or nullopt after `timeout`
  // or at the end of the stream (then ended() is true).
  std::optional<Json> Next(absl::Duration timeout = absl::Seconds(5));
  bool ended() const { return ended_; }

 private:
  bool Fill(absl::Time deadline);
  int fd_ = -1;
  int code_ = 0;
  bool ended_ = false;
  std::string raw_;      // undecoded bytes
  std::string decoded_;  // de-chunked payload
};

}  // namespace nanoplane::kube::testing
