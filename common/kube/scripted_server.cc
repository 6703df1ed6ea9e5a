#include "common/kube/scripted_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>

namespace nanoplane::kube::test {

class Connection {
 public:
  Connection(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  ~Connection() {
    if (ssl_ != nullptr) {
      SSL_free(ssl_);
    }
  }

  bool Write(std::string_view data) {
    if (dropped_) {
      return false;
    }
    while (!data.empty()) {
      long n = ssl_ != nullptr ? SSL_write(ssl_, data.data(), static_cast<int>(data.size()))
                               : ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        dropped_ = true;
        return false;
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads more bytes into `buffer`; false at the end of the connection.
  bool Read(std::string& buffer) {
    char chunk[16384];
    long n = ssl_ != nullptr ? SSL_read(ssl_, chunk, sizeof(chunk)) : ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      return false;
    }
    buffer.append(chunk, static_cast<size_t>(n));
    return true;
  }

  void Drop() {
    dropped_ = true;
    ::shutdown(fd_, SHUT_RDWR);
  }
  bool dropped() const { return dropped_; }

 private:
  int fd_;
  SSL* ssl_;
  bool dropped_ = false;
};

namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string StatusLine(int code) {
  return "HTTP/1.1 " + std::to_string(code) + " Scripted\r\n";
}

// One request from the connection; false when the connection ended first.
bool ReadRequest(Connection& connection, std::string& buffer, HttpRequest& out) {
  size_t end;
  while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
    if (!connection.Read(buffer)) {
      return false;
    }
  }
  std::string head = buffer.substr(0, end);
  buffer.erase(0, end + 4);
  size_t line_end = head.find("\r\n");
  std::string request_line = head.substr(0, line_end);
  size_t sp1 = request_line.find(' ');
  size_t sp2 = request_line.rfind(' ');
  out.method = request_line.substr(0, sp1);
  std::string target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t q = target.find('?');
  out.path = target.substr(0, q);
  out.query = q == std::string::npos ? "" : target.substr(q + 1);
  for (size_t at = line_end; at != std::string::npos && at < head.size();) {
    size_t next = head.find("\r\n", at + 2);
    std::string line = head.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      size_t value = line.find_first_not_of(' ', colon + 1);
      out.headers[Lower(line.substr(0, colon))] = value == std::string::npos ? "" : line.substr(value);
    }
    at = next;
  }
  size_t length = out.headers.count("content-length") ? std::stoul(out.headers["content-length"]) : 0;
  while (buffer.size() < length) {
    if (!connection.Read(buffer)) {
      return false;
    }
  }
  out.body = buffer.substr(0, length);
  buffer.erase(0, length);
  return true;
}

std::string PeerCommonName(SSL* ssl) {
  if (ssl == nullptr) {
    return "";
  }
  X509* peer = SSL_get1_peer_certificate(ssl);
  if (peer == nullptr) {
    return "";
  }
  char name[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof(name));
  X509_free(peer);
  return name;
}

SSL_CTX* ServerContext(const TlsFiles& tls) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  BIO* cert = BIO_new_mem_buf(tls.cert_pem.data(), static_cast<int>(tls.cert_pem.size()));
  X509* x509 = PEM_read_bio_X509(cert, nullptr, nullptr, nullptr);
  SSL_CTX_use_certificate(ctx, x509);
  X509_free(x509);
  BIO_free(cert);
  BIO* key = BIO_new_mem_buf(tls.key_pem.data(), static_cast<int>(tls.key_pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(key, nullptr, nullptr, nullptr);
  SSL_CTX_use_PrivateKey(ctx, pkey);
  EVP_PKEY_free(pkey);
  BIO_free(key);
  if (!tls.client_ca_pem.empty()) {
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    BIO* ca = BIO_new_mem_buf(tls.client_ca_pem.data(), static_cast<int>(tls.client_ca_pem.size()));
    X509* ca_cert = PEM_read_bio_X509(ca, nullptr, nullptr, nullptr);
    X509_STORE_add_cert(store, ca_cert);
    X509_free(ca_cert);
    BIO_free(ca);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  ERR_clear_error();
  return ctx;
}

}  // namespace

void Reply::Send(int code, std::string_view body, const std::vector<std::string>& headers,
                 std::string_view content_type) {
  std::string out = StatusLine(code);
  out += "Content-Type: " + std::string(content_type) + "\r\n";
  for (const std::string& header : headers) {
    out += header + "\r\n";
  }
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out += body;
  connection_.Write(out);
}

void Reply::StartChunked(int code, std::string_view content_type) {
  connection_.Write(StatusLine(code) + "Content-Type: " + std::string(content_type) +
                    "\r\nTransfer-Encoding: chunked\r\n\r\n");
}

bool Reply::Chunk(std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
  return connection_.Write(std::string(size) + std::string(data) + "\r\n");
}

void Reply::EndChunked() { connection_.Write("0\r\n\r\n"); }

void Reply::Drop() { connection_.Drop(); }

ScriptedServer::ScriptedServer(Handler handler, std::optional<TlsFiles> tls)
    : handler_(std::move(handler)) {
  // OpenSSL writes to sockets with write(2), which raises SIGPIPE when the
  // client has gone; a test server must outlive its clients' hang-ups.
  ::signal(SIGPIPE, SIG_IGN);
  if (tls) {
    ssl_ctx_ = ServerContext(*tls);
  }
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::listen(listen_fd_, 64);
  socklen_t len = sizeof(addr);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

ScriptedServer::~ScriptedServer() {
  Stop();
  if (ssl_ctx_ != nullptr) {
    SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
  }
}

std::string ScriptedServer::url() const {
  return std::string(ssl_ctx_ != nullptr ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

std::vector<HttpRequest> ScriptedServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void ScriptedServer::Stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      return;
    }
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    for (int fd : fds_) {
      ::shutdown(fd, SHUT_RDWR);
    }
  }
  acceptor_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    threads.swap(threads_);
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  ::close(listen_fd_);
}

void ScriptedServer::Accept() {
  while (true) {
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    std::lock_guard<std::mutex> lock(mu_);
    if (fd < 0 || stopping_) {
      if (fd >= 0) {
        ::close(fd);
      }
      return;
    }
    fds_.push_back(fd);
    threads_.emplace_back([this, fd] { Serve(fd); });
  }
}

void ScriptedServer::Serve(int fd) {
  SSL* ssl = nullptr;
  if (ssl_ctx_ != nullptr) {
    ssl = SSL_new(static_cast<SSL_CTX*>(ssl_ctx_));
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) {
      ERR_clear_error();
      SSL_free(ssl);
      ssl = nullptr;
      ::shutdown(fd, SHUT_RDWR);
    }
  }
  if (ssl_ctx_ == nullptr || ssl != nullptr) {
    Connection connection(fd, ssl);
    std::string buffer;
    HttpRequest request;
    while (!connection.dropped() && ReadRequest(connection, buffer, request)) {
      request.peer_common_name = PeerCommonName(ssl);
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(request);
      }
      Reply reply(connection);
      handler_(request, reply);
      request = HttpRequest{};
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  fds_.erase(std::remove(fds_.begin(), fds_.end(), fd), fds_.end());
  ::close(fd);
}

}  // namespace nanoplane::kube::test
