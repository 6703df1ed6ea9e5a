#include "agent/app/probe_runner.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "gtest/gtest.h"

namespace nanoplane::agent::app {
namespace {

// A listening socket on 127.0.0.1 that answers each connection with `reply`
// (nothing: accept and close).
class TinyServer {
 public:
  explicit TinyServer(std::string reply) : reply_(std::move(reply)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, 8);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TinyServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  int port() const { return port_; }

 private:
  void Serve() {
    while (!stop_) {
      int client = accept(fd_, nullptr, nullptr);
      if (client < 0) {
        return;
      }
      char buffer[1024];
      if (!reply_.empty() && read(client, buffer, sizeof(buffer)) > 0) {
        (void)!write(client, reply_.data(), reply_.size());
      }
      close(client);
    }
  }
  std::string reply_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A port nothing listens on: bound, never listened.
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST(RunProbeTest, TcpConnectPassesWhenSomethingListens) {
  TinyServer server("");
  EXPECT_TRUE(RunProbe({.host = "127.0.0.1", .port = server.port()}, absl::Seconds(1)));
  EXPECT_FALSE(RunProbe({.host = "127.0.0.1", .port = ClosedPort()}, absl::Seconds(1)));
}

TEST(RunProbeTest, HttpPassesOn2xxAnd3xxOnly) {
  TinyServer ok("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  TinyServer redirect("HTTP/1.0 302 Found\r\n\r\n");
  TinyServer error("HTTP/1.1 500 Internal Server Error\r\n\r\n");
  TinyServer silent("");
  auto probe = [](int port) {
    return RunProbe({.http = true, .host = "127.0.0.1", .port = port, .path = "/healthz"},
                    absl::Milliseconds(500));
  };
  EXPECT_TRUE(probe(ok.port()));
  EXPECT_TRUE(probe(redirect.port()));
  EXPECT_FALSE(probe(error.port()));
  EXPECT_FALSE(probe(silent.port()));
}

// `openssl s_server -www` (it answers any request with "HTTP/1.0 200 ok") on
// a throwaway self-signed certificate, as a guest serving HTTPS would.
class TlsServer {
 public:
  TlsServer() : dir_(::testing::TempDir() + "np-tls-" + std::to_string(getpid())) {
    std::filesystem::create_directories(dir_);
    const std::string make_cert =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
        "-subj /CN=guest -keyout " +
        dir_ + "/key.pem -out " + dir_ + "/cert.pem 2>/dev/null";
    if (std::system(make_cert.c_str()) != 0) {
      return;
    }
    port_ = ClosedPort();
    const std::string port = std::to_string(port_), cert = dir_ + "/cert.pem",
                      key = dir_ + "/key.pem";
    pid_ = fork();
    if (pid_ == 0) {
      freopen("/dev/null", "r", stdin);
      freopen("/dev/null", "w", stdout);
      freopen("/dev/null", "w", stderr);
      execlp("openssl", "openssl", "s_server", "-www", "-accept", port.c_str(), "-cert",
             cert.c_str(), "-key", key.c_str(), nullptr);
      _exit(127);
    }
    for (int i = 0; i < 200 && !RunProbe({.host = "127.0.0.1", .port = port_}, absl::Seconds(1));
         ++i) {
      absl::SleepFor(absl::Milliseconds(25));
    }
  }
  ~TlsServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    std::filesystem::remove_all(dir_);
  }
  bool ok() const { return pid_ > 0; }
  int port() const { return port_; }

 private:
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST(RunProbeTest, HttpsSpeaksTlsAndDoesNotVerifyTheGuestsCertificate) {
  TlsServer tls;
  if (!tls.ok()) {
    GTEST_SKIP() << "needs the openssl command";
  }
  TinyServer plain("HTTP/1.1 200 OK\r\n\r\n");
  auto probe = [](int port, bool tls) {
    return RunProbe({.http = true, .tls = tls, .host = "127.0.0.1", .port = port},
                    absl::Seconds(2));
  };
  EXPECT_TRUE(probe(tls.port(), true));
  EXPECT_FALSE(probe(tls.port(), false)) << "plain HTTP to a TLS port";
  EXPECT_FALSE(probe(plain.port(), true)) << "a TLS handshake with a plain HTTP server";
  EXPECT_TRUE(probe(plain.port(), false));
}

TEST(ResolveProbeTargetTest, FindsTheForwardedHostPortByNameOrNumber) {
  v1alpha1::UnikernelTemplate t;
  v1alpha1::Port* port = t.add_ports();
  port->set_name("http");
  port->set_port(8080);
  VmInfo vm;
  vm.ports.push_back(
      {.forward = {.guest_port = 8080, .host_port = 31000}, .host_address = "127.0.0.1"});

  v1alpha1::Probe http;
  http.mutable_http_get()->mutable_port()->set_string_value("http");
  http.mutable_http_get()->set_path("/ready");
  absl::StatusOr<ProbeTarget> target = ResolveProbeTarget(http, t, vm);
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(*target,
            (ProbeTarget{.http = true, .host = "127.0.0.1", .port = 31000, .path = "/ready"}));
  http.mutable_http_get()->set_scheme(v1alpha1::HTTPS);
  EXPECT_EQ(ResolveProbeTarget(http, t, vm).value(),
            (ProbeTarget{
                .http = true, .tls = true, .host = "127.0.0.1", .port = 31000, .path = "/ready"}));

  v1alpha1::Probe tcp;
  tcp.mutable_tcp_socket()->mutable_port()->set_int_value(8080);
  vm.ports[0].host_address = "0.0.0.0";
  target = ResolveProbeTarget(tcp, t, vm);
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(target->host, "127.0.0.1");
  EXPECT_FALSE(target->http);

  tcp.mutable_tcp_socket()->mutable_port()->set_int_value(9090);
  EXPECT_EQ(ResolveProbeTarget(tcp, t, vm).status().code(), absl::StatusCode::kNotFound);
  http.mutable_http_get()->mutable_port()->set_string_value("metrics");
  EXPECT_EQ(ResolveProbeTarget(http, t, vm).status().code(), absl::StatusCode::kNotFound);
}

TEST(ResolveProbeTargetTest, BridgedVmIsProbedOnItsAddress) {
  v1alpha1::UnikernelTemplate t;
  v1alpha1::Probe tcp;
  tcp.mutable_tcp_socket()->mutable_port()->set_int_value(80);
  VmInfo vm;
  vm.address = "192.168.122.10";
  absl::StatusOr<ProbeTarget> target = ResolveProbeTarget(tcp, t, vm);
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(target->host, "192.168.122.10");
  EXPECT_EQ(target->port, 80);
}

}  // namespace
}  // namespace nanoplane::agent::app
