#include "agent/app/probe_runner.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "common/strings.h"

namespace nanoplane::agent::app {
namespace {

// The guest port a probe names, by number or by a declared port's name.
absl::StatusOr<int> GuestPort(const v1alpha1::IntOrString& port,
                              const v1alpha1::UnikernelTemplate& t) {
  if (port.has_int_value()) {
    return port.int_value();
  }
  for (const v1alpha1::Port& declared : t.ports()) {
    if (declared.name() == port.string_value()) {
      return declared.port();
    }
  }
  return absl::NotFoundError(StrCat("probe port \"", port.string_value(), "\" is not declared"));
}

int MillisLeft(absl::Time deadline) {
  return static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now())));
}

// A connected socket, or -1.
int Connect(const ProbeTarget& target, absl::Time deadline) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(target.port));
  if (inet_pton(AF_INET, target.host.c_str(), &addr.sin_addr) != 1) {
    return -1;
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno != EINPROGRESS) {
      ::close(fd);
      return -1;
    }
    pollfd p{.fd = fd, .events = POLLOUT, .revents = 0};
    int error = 0;
    socklen_t len = sizeof(error);
    if (::poll(&p, 1, MillisLeft(deadline)) != 1 ||
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) {
      ::close(fd);
      return -1;
    }
  }
  return fd;
}

// A byte stream to the guest: plain or TLS. Both fail at the deadline.
class Stream {
 public:
  virtual ~Stream() = default;
  virtual bool SendAll(std::string_view bytes) = 0;
  // Bytes read into `buffer`; <= 0 at the end, on error or at the deadline.
  virtual ssize_t Receive(char* buffer, size_t size) = 0;
};

class PlainStream : public Stream {
 public:
  PlainStream(int fd, absl::Time deadline) : fd_(fd), deadline_(deadline) {}
  bool SendAll(std::string_view bytes) override {
    size_t sent = 0;
    while (sent < bytes.size()) {
      pollfd p{.fd = fd_, .events = POLLOUT, .revents = 0};
      if (::poll(&p, 1, MillisLeft(deadline_)) != 1) {
        return false;
      }
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        return false;
      }
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  ssize_t Receive(char* buffer, size_t size) override {
    pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, MillisLeft(deadline_)) != 1) {
      return -1;
    }
    return ::read(fd_, buffer, size);
  }

 private:
  int fd_;
  absl::Time deadline_;
};

// TLS over a connected socket, made blocking with the deadline as its socket
// timeouts (OpenSSL's non-blocking handshake would need a loop of its own).
class TlsStream : public Stream {
 public:
  TlsStream(int fd, absl::Time deadline) {
    const int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    const int64_t micros = std::max<int64_t>(1, absl::ToInt64Microseconds(deadline - absl::Now()));
    timeval timeout{.tv_sec = micros / 1000000, .tv_usec = micros % 1000000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_ == nullptr) {
      return;
    }
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    ssl_ = SSL_new(ctx_);
    if (ssl_ == nullptr || SSL_set_fd(ssl_, fd) != 1 || SSL_connect(ssl_) != 1) {
      connected_ = false;
      return;
    }
    connected_ = true;
  }
  ~TlsStream() override {
    if (ssl_ != nullptr) {
      SSL_free(ssl_);
    }
    if (ctx_ != nullptr) {
      SSL_CTX_free(ctx_);
    }
  }
  bool SendAll(std::string_view bytes) override {
    return connected_ && SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) ==
                             static_cast<int>(bytes.size());
  }
  ssize_t Receive(char* buffer, size_t size) override {
    return connected_ ? SSL_read(ssl_, buffer, static_cast<int>(size)) : -1;
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool connected_ = false;
};

// Reads until the status line is complete; its code, or 0.
int ReadStatus(Stream& stream) {
  std::string response;
  char buffer[512];
  while (response.find('\n') == std::string::npos && response.size() < 4096) {
    ssize_t n = stream.Receive(buffer, sizeof(buffer));
    if (n <= 0) {
      break;
    }
    response.append(buffer, static_cast<size_t>(n));
  }
  // "HTTP/1.1 200 OK"
  size_t space = response.find(' ');
  if (response.rfind("HTTP/", 0) != 0 || space == std::string::npos) {
    return 0;
  }
  return std::atoi(response.c_str() + space + 1);
}

bool HttpGet(Stream& stream, const ProbeTarget& target) {
  const std::string request =
      StrCat("GET ", target.path.empty() ? "/" : target.path, " HTTP/1.0\r\nHost: ", target.host,
             ":", target.port, "\r\nUser-Agent: nanoplane-probe\r\nConnection: close\r\n\r\n");
  if (!stream.SendAll(request)) {
    return false;
  }
  const int status = ReadStatus(stream);
  return status >= 200 && status <= 399;
}

}  // namespace

absl::StatusOr<ProbeTarget> ResolveProbeTarget(const v1alpha1::Probe& probe,
                                               const v1alpha1::UnikernelTemplate& t,
                                               const VmInfo& vm) {
  ProbeTarget target;
  int guest_port = 0;
  if (probe.has_http_get()) {
    absl::StatusOr<int> port = GuestPort(probe.http_get().port(), t);
    if (!port.ok()) {
      return port.status();
    }
    guest_port = *port;
    target.http = true;
    target.tls = probe.http_get().scheme() == v1alpha1::HTTPS;
    target.path = probe.http_get().path().empty() ? "/" : probe.http_get().path();
  } else if (probe.has_tcp_socket()) {
    absl::StatusOr<int> port = GuestPort(probe.tcp_socket().port(), t);
    if (!port.ok()) {
      return port.status();
    }
    guest_port = *port;
  } else {
    return absl::InvalidArgumentError("probe has no action");
  }
  if (!vm.address.empty() && vm.ports.empty()) {
    target.host = vm.address;  // bridged: the guest's own address
    target.port = guest_port;
    return target;
  }
  for (const PortBinding& binding : vm.ports) {
    if (binding.forward.guest_port == guest_port && binding.forward.protocol == Protocol::kTcp) {
      const bool any = binding.host_address.empty() || binding.host_address == "0.0.0.0";
      target.host = any ? "127.0.0.1" : binding.host_address;
      target.port = binding.forward.host_port;
      return target;
    }
  }
  return absl::NotFoundError(StrCat("guest port ", guest_port, " is not forwarded"));
}

bool RunProbe(const ProbeTarget& target, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  int fd = Connect(target, deadline);
  if (fd < 0) {
    return false;
  }
  bool ok = true;
  if (target.http && target.tls) {
    TlsStream stream(fd, deadline);
    ok = HttpGet(stream, target);
  } else if (target.http) {
    PlainStream stream(fd, deadline);
    ok = HttpGet(stream, target);
  }
  ::close(fd);
  return ok;
}

}  // namespace nanoplane::agent::app
