#pragma once

// A small HTTP/1.1 server for the fake API server: one thread per connection,
// keep-alive, Content-Length request bodies, and responses either whole or
// chunked (for watches, which must really stream). Optional TLS (OpenSSL) with
// optional client certificates, whose subject the handler sees.
//
// Thread-safety: Start/Stop from one thread; the handler is called
// concurrently from connection threads and must be thread-safe. Stop closes
// every connection (including streaming ones) and waits for their threads.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include "absl/strings/string_view.h"
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace nanoplane::kube::testing {

struct HttpRequest {
  std::string method;
  std::string path;                           // decoded, without the query
  std::map<std::string, std::string> query;   // decoded; the last value wins
  std::map<std::string, std::string> headers; // lower-case names
  std::string body;
  // From a verified TLS client certificate: subject CN and every O.
  std::string client_cn;
  std::vector<std::string> client_orgs;

  std::string Header(const std::string& lower_name) const;
  std::string Query(const std::string& name) const;
  bool HasQuery(const std::string& name) const { return query.count(name) > 0; }
};

// What a handler answers with. Either Send once, or StartStream, then any
// number of WriteChunk, then return (the stream is ended for it).
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  virtual void Send(int code, absl::string_view content_type, absl::string_view body) = 0;
  virtual bool StartStream(int code, absl::string_view content_type) = 0;
  // False once the peer is gone or the server stops.
  virtual bool WriteChunk(absl::string_view data) = 0;
  // True when the peer closed its side (a watch client went away).
  virtual bool PeerClosed() = 0;
};

using HttpHandler = std::function<void(const HttpRequest&, ResponseWriter&)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string tls_cert_file;  // PEM; TLS when set, with tls_key_file
  std::string tls_key_file;
  std::string client_ca_file;  // client certificates verified against it when set
};

class HttpServer {
 public:
  HttpServer() = default;
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting; returns the bound port. InvalidArgument for
  // unreadable TLS files, Unavailable when the address cannot be bound.
  [[nodiscard]] absl::StatusOr<int> Start(const HttpServerOptions& options, HttpHandler handler);
  void Stop();
  bool tls() const { return ssl_ctx_ != nullptr; }

 private:
  struct Connection;
  void AcceptLoop();
  void Serve(std::shared_ptr<Connection> connection);

  HttpHandler handler_;
  int listen_fd_ = -1;
  void* ssl_ctx_ = nullptr;  // SSL_CTX*, kept opaque so this header needs no OpenSSL
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  std::mutex mu_;
  std::set<std::shared_ptr<Connection>> connections_;  // guarded by mu_
  // Connection threads are detached (a long-running fake serves many short
  // connections); Stop waits for this count to reach zero.
  int active_ = 0;  // guarded by mu_
  std::condition_variable idle_;
};

// "a%2Fb+c" -> "a/b c" (query strings); paths use '+' literally.
std::string UrlDecode(absl::string_view text, bool plus_is_space);

}  // namespace nanoplane::kube::testing
