#pragma once

// A small HTTP/1.1 server on 127.0.0.1 for the client's tests (test-only): each
// request goes to a handler that scripts the answer, status line and headers
// included, so that tests can send what a real API server sends (a Status body,
// Retry-After, a chunked watch written event by event, a connection dropped
// mid-stream). Optionally TLS, optionally requiring a client certificate.
// Connections are kept alive, as cpprestsdk expects. Each connection has its
// own thread; the handler may block (a watch), until the server stops.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace nanoplane::kube::test {

struct HttpRequest {
  std::string method;
  std::string path;   // without the query
  std::string query;  // raw, without '?'
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string peer_common_name;  // the client certificate's CN, with TLS
};

class Connection;

// The handler's side of one exchange.
class Reply {
 public:
  explicit Reply(Connection& connection) : connection_(connection) {}
  // A whole answer with Content-Length.
  void Send(int code, std::string_view body, const std::vector<std::string>& headers = {},
            std::string_view content_type = "application/json");
  // A chunked answer, written piece by piece; false once the client is gone.
  void StartChunked(int code, std::string_view content_type = "application/json");
  bool Chunk(std::string_view data);
  void EndChunked();
  // Closes the connection without ending the answer.
  void Drop();

 private:
  Connection& connection_;
};

using Handler = std::function<void(const HttpRequest&, Reply&)>;

struct TlsFiles {
  std::string cert_pem, key_pem;
  std::string client_ca_pem;  // non-empty: a client certificate from this CA is required
};

class ScriptedServer {
 public:
  // Listens on 127.0.0.1 (a port of the kernel's choosing).
  ScriptedServer(Handler handler, std::optional<TlsFiles> tls = std::nullopt);
  ~ScriptedServer();

  int port() const { return port_; }
  std::string url() const;  // "http://127.0.0.1:PORT" or https
  std::vector<HttpRequest> requests() const;
  void Stop();

 private:
  void Accept();
  void Serve(int fd);

  Handler handler_;
  void* ssl_ctx_ = nullptr;  // SSL_CTX*, kept out of this header
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  mutable std::mutex mu_;
  bool stopping_ = false;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
  std::vector<HttpRequest> requests_;
};

}  // namespace nanoplane::kube::test
