#include "common/strings.h"
#include "common/kube/testing/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace nanoplane::kube::testing {

std::string HttpRequest::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

std::string HttpRequest::Query(const std::string& name) const {
  auto it = query.find(name);
  return it == query.end() ? "" : it->second;
}

std::string UrlDecode(absl::string_view text, bool plus_is_space) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size()) {
      int value = 0;
      if (absl::SimpleHexAtoi(text.substr(i + 1, 2), &value)) {
        out.push_back(static_cast<char>(value));
        i += 2;
      } else {
        out.push_back(c);
      }
    } else {
      out.push_back(c);
    }
  }
  return out;
}

namespace {

const char* Reason(int code) {
  switch (code) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
  }
}

void ParseClientCert(SSL* ssl, HttpRequest& request) {
  X509* cert = SSL_get_peer_certificate(ssl);
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) {
    if (cert != nullptr) {
      X509_free(cert);
    }
    return;
  }
  X509_NAME* subject = X509_get_subject_name(cert);
  for (int i = 0; i < X509_NAME_entry_count(subject); ++i) {
    X509_NAME_ENTRY* entry = X509_NAME_get_entry(subject, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
    if (len < 0) {
      continue;
    }
    std::string value(reinterpret_cast<char*>(utf8), len);
    OPENSSL_free(utf8);
    if (nid == NID_commonName) {
      request.client_cn = value;
    } else if (nid == NID_organizationName) {
      request.client_orgs.push_back(value);
    }
  }
  X509_free(cert);
}

}  // namespace

struct HttpServer::Connection {
  int fd = -1;
  SSL* ssl = nullptr;
  std::string buffer;
  std::atomic<bool> closed{false};

  ~Connection() {
    if (ssl != nullptr) {
      SSL_free(ssl);
    }
    if (fd >= 0) {
      ::close(fd);
    }
  }
  bool ReadMore() {
    char data[16384];
    int n = ssl != nullptr ? SSL_read(ssl, data, sizeof data) : ::recv(fd, data, sizeof data, 0);
    if (n <= 0) {
      return false;
    }
    buffer.append(data, n);
    return true;
  }
  bool WriteAll(absl::string_view data) {
    while (!data.empty()) {
      int n = ssl != nullptr ? SSL_write(ssl, data.data(), static_cast<int>(data.size()))
                             : ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        return false;
      }
      data.remove_prefix(n);
    }
    return true;
  }
  void Shutdown() {
    closed = true;
    ::shutdown(fd, SHUT_RDWR);
  }
};

namespace {

// A chunked request body (client-go sends some bodies so).
template <typename Conn>
bool ReadChunkedBody(Conn& c, HttpRequest& request) {
  while (true) {
    size_t eol;
    while ((eol = c.buffer.find("\r\n")) == std::string::npos) {
      if (!c.ReadMore()) {
        return false;
      }
    }
    size_t size = 0;
    std::string size_text = c.buffer.substr(0, c.buffer.find_first_of(";\r"));
    if (!absl::SimpleHexAtoi(size_text, &size)) {
      return false;
    }
    while (c.buffer.size() < eol + 2 + size + 2) {
      if (!c.ReadMore()) {
        return false;
      }
    }
    request.body.append(c.buffer, eol + 2, size);
    c.buffer.erase(0, eol + 2 + size + 2);
    if (size == 0) {
      return true;  // (trailers are not supported)
    }
  }
}

// Reads one request (head and Content-Length or chunked body) from the connection.
// False on EOF or a malformed request.
template <typename Conn>
bool ReadRequest(Conn& c, HttpRequest& request) {
  size_t end;
  while ((end = c.buffer.find("\r\n\r\n")) == std::string::npos) {
    if (c.buffer.size() > (1 << 20) || !c.ReadMore()) {
      return false;
    }
  }
  std::vector<std::string> lines = absl::StrSplit(c.buffer.substr(0, end), "\r\n");
  c.buffer.erase(0, end + 4);
  std::vector<std::string> first = absl::StrSplit(lines[0], ' ');
  if (first.size() < 2) {
    return false;
  }
  request.method = first[0];
  absl::string_view target = first[1];
  size_t q = target.find('?');
  request.path = UrlDecode(target.substr(0, q), false);
  if (q != absl::string_view::npos) {
    for (absl::string_view pair : absl::StrSplit(target.substr(q + 1), '&', absl::SkipEmpty())) {
      size_t eq = pair.find('=');
      std::string key = UrlDecode(pair.substr(0, eq), true);
      request.query[key] = eq == absl::string_view::npos ? "" : UrlDecode(pair.substr(eq + 1), true);
    }
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == std::string::npos) {
      continue;
    }
    std::string name = absl::AsciiStrToLower(lines[i].substr(0, colon));
    request.headers[name] = std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
  }
  if (absl::AsciiStrToLower(request.Header("transfer-encoding")) == "chunked") {
    return ReadChunkedBody(c, request);
  }
  size_t length = 0;
  if (!request.Header("content-length").empty() &&
      !absl::SimpleAtoi(request.Header("content-length"), &length)) {
    return false;
  }
  while (c.buffer.size() < length) {
    if (!c.ReadMore()) {
      return false;
    }
  }
  request.body = c.buffer.substr(0, length);
  c.buffer.erase(0, length);
  return true;
}

class ConnectionWriter : public ResponseWriter {
 public:
  template <typename Conn>
  explicit ConnectionWriter(Conn& c)
      : write_([&c](absl::string_view d) { return c.WriteAll(d); }),
        closed_([&c] { return c.closed.load(); }),
        fd_(c.fd) {}

  void Send(int code, absl::string_view content_type, absl::string_view body) override {
    std::string out = StrCat("HTTP/1.1 ", code, " ", Reason(code), "\r\nContent-Type: ",
                                   content_type, "\r\nContent-Length: ", body.size(),
                                   "\r\nCache-Control: no-cache, private\r\n\r\n");
    out.append(body.data(), body.size());
    ok_ = write_(out);
    sent_ = true;
  }
  bool StartStream(int code, absl::string_view content_type) override {
    streaming_ = sent_ = true;
    ok_ = write_(StrCat("HTTP/1.1 ", code, " ", Reason(code), "\r\nContent-Type: ",
                              content_type,
                              "\r\nCache-Control: no-cache, private\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n"));
    return ok_;
  }
  bool WriteChunk(absl::string_view data) override {
    if (!ok_ || data.empty()) {
      return ok_;
    }
    char size[20];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    ok_ = write_(StrCat(size, data, "\r\n"));
    return ok_;
  }
  bool PeerClosed() override {
    if (closed_() || !ok_) {
      return true;
    }
    pollfd p{.fd = fd_, .events = POLLIN | POLLRDHUP, .revents = 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
  }
  // Ends a stream; whether the connection can serve another request.
  bool Finish() {
    if (!sent_) {
      Send(500, "text/plain", "no response");
    }
    if (streaming_ && ok_) {
      ok_ = write_("0\r\n\r\n");
    }
    return ok_ && !closed_();
  }

 private:
  std::function<bool(absl::string_view)> write_;
  std::function<bool()> closed_;
  int fd_;
  bool ok_ = true;
  bool sent_ = false;
  bool streaming_ = false;
};

}  // namespace

HttpServer::~HttpServer() { Stop(); }

absl::StatusOr<int> HttpServer::Start(const HttpServerOptions& options, HttpHandler handler) {
  handler_ = std::move(handler);
  if (!options.tls_cert_file.empty()) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_certificate_chain_file(ctx, options.tls_cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, options.tls_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      SSL_CTX_free(ctx);
      return absl::InvalidArgumentError(
          StrCat("TLS serving certificate ", options.tls_cert_file, " / key ",
                       options.tls_key_file, " cannot be loaded"));
    }
    if (!options.client_ca_file.empty()) {
      if (SSL_CTX_load_verify_locations(ctx, options.client_ca_file.c_str(), nullptr) != 1) {
        SSL_CTX_free(ctx);
        return absl::InvalidArgumentError(
            StrCat("client CA ", options.client_ca_file, " cannot be loaded"));
      }
      // Asked for, not required: a client may authenticate with a token instead.
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });
    }
    ssl_ctx_ = ctx;
    // SSL_write cannot pass MSG_NOSIGNAL: a watch client that goes away
    // must not kill the (test) process.
    ::signal(SIGPIPE, SIG_IGN);
  }
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(options.port));
  if (::inet_pton(AF_INET, options.host.c_str(), &addr.sin_addr) != 1 ||
      ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 512) != 0) {
    std::string error = std::strerror(errno);
    ::close(listen_fd_);
    listen_fd_ = -1;
    return absl::UnavailableError(
        StrCat("bind ", options.host, ":", options.port, ": ", error));
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  return ntohs(addr.sin_port);
}

void HttpServer::AcceptLoop() {
  while (!stopping_) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopping_) {
        return;
      }
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto connection = std::make_shared<Connection>();
    connection->fd = fd;
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      return;
    }
    connections_.insert(connection);
    ++active_;
    std::thread([this, connection]() mutable { Serve(std::move(connection)); }).detach();
  }
}

void HttpServer::Serve(std::shared_ptr<Connection> c) {
  bool ok = true;
  if (ssl_ctx_ != nullptr) {
    c->ssl = SSL_new(static_cast<SSL_CTX*>(ssl_ctx_));
    SSL_set_fd(c->ssl, c->fd);
    ok = SSL_accept(c->ssl) == 1;
  }
  while (ok && !stopping_) {
    HttpRequest request;
    if (!ReadRequest(*c, request)) {
      break;
    }
    if (c->ssl != nullptr) {
      ParseClientCert(c->ssl, request);
    }
    ConnectionWriter writer(*c);
    handler_(request, writer);
    ok = writer.Finish() && absl::AsciiStrToLower(request.Header("connection")) != "close";
  }
  std::lock_guard<std::mutex> lock(mu_);
  connections_.erase(c);
  c.reset();  // closes the socket before Stop may return
  --active_;
  idle_.notify_all();
}

void HttpServer::Stop() {
  if (listen_fd_ < 0) {
    return;
  }
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  if (accept_thread_.joinable()) {
    accept_thread_.join();
  }
  {
    std::unique_lock<std::mutex> lock(mu_);
    for (const auto& c : connections_) {
      c->Shutdown();
    }
    idle_.wait(lock, [this] { return active_ == 0; });
  }
  ::close(listen_fd_);
  listen_fd_ = -1;
  if (ssl_ctx_ != nullptr) {
    SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
    ssl_ctx_ = nullptr;
  }
}

}  // namespace nanoplane::kube::testing
