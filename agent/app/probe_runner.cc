#include "agent/app/probe_runner.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
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

// Reads until the status line is complete; its code, or 0.
int ReadStatus(int fd, absl::Time deadline) {
  std::string response;
  char buffer[512];
  while (response.find('\n') == std::string::npos && response.size() < 4096) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, MillisLeft(deadline)) != 1) {
      return 0;
    }
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
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

bool HttpGet(int fd, const ProbeTarget& target, absl::Time deadline) {
  const std::string request =
      StrCat("GET ", target.path.empty() ? "/" : target.path, " HTTP/1.0\r\nHost: ", target.host,
             ":", target.port, "\r\nUser-Agent: nanoplane-probe\r\nConnection: close\r\n\r\n");
  size_t sent = 0;
  while (sent < request.size()) {
    pollfd p{.fd = fd, .events = POLLOUT, .revents = 0};
    if (::poll(&p, 1, MillisLeft(deadline)) != 1) {
      return false;
    }
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    sent += static_cast<size_t>(n);
  }
  const int status = ReadStatus(fd, deadline);
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
    target.http = probe.http_get().scheme() != v1alpha1::HTTPS;
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
  const bool ok = !target.http || HttpGet(fd, target, deadline);
  ::close(fd);
  return ok;
}

}  // namespace nanoplane::agent::app
