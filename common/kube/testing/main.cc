// np-fake-kube-apiserver: the fake Kubernetes API server as a process, for
// the e2e tests and the benchmark. Prints its URL on stdout (and into
// --port-file, as a port number) once it serves; stops on SIGINT/SIGTERM.

#include <signal.h>

#include <fstream>
#include <iostream>

#include "CLI/CLI.hpp"
#include "common/strings.h"
#include "common/kube/testing/fake_api_server.h"

int main(int argc, char** argv) {
  using nanoplane::kube::testing::Anonymous;
  CLI::App app{"np-fake-kube-apiserver: a fake kube-apiserver (v1.23 semantics) on loopback"};
  nanoplane::kube::testing::FakeApiServerOptions options;
  std::string port_file;
  std::vector<std::string> tokens;
  std::string anonymous = "reject";
  bool no_rbac = false;
  int bookmark_seconds = 60;
  app.add_option("--address", options.address, "HOST:PORT to serve on (port 0: any)");
  app.add_option("--port-file", port_file, "write the bound port here once serving");
  app.add_option("--crd", options.crd_files, "CRD YAML files to preload");
  app.add_option("--token", tokens, "a bearer token: TOKEN=USER[:GROUP,...]");
  app.add_option("--tls-cert", options.tls_cert_file, "serving certificate (PEM): HTTPS");
  app.add_option("--tls-key", options.tls_key_file, "serving key (PEM)");
  app.add_option("--client-ca", options.client_ca_file, "CA for client certificates");
  app.add_option("--anonymous", anonymous, "unauthenticated requests: reject | rbac | admin")
      ->check(CLI::IsMember({"reject", "rbac", "admin"}));
  app.add_flag("--no-rbac", no_rbac, "let every authenticated user do everything");
  app.add_option("--watch-history", options.watch_history, "changes kept for watches");
  app.add_option("--bookmark-interval", bookmark_seconds, "seconds between watch bookmarks")
      ->check(CLI::Range(1, 86400));
  CLI11_PARSE(app, argc, argv);
  for (const std::string& spec : tokens) {
    auto token = nanoplane::kube::testing::ParseTokenSpec(spec);
    if (!token.ok()) {
      std::cerr << "error: " << token.status().message() << "\n";
      return 2;
    }
    options.tokens[token->first] = token->second;
  }
  options.anonymous = anonymous == "admin"  ? Anonymous::kAdmin
                      : anonymous == "rbac" ? Anonymous::kRbac
                                            : Anonymous::kReject;
  options.rbac = !no_rbac;
  options.bookmark_interval = absl::Seconds(bookmark_seconds);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  nanoplane::kube::testing::FakeApiServer server(options);
  auto url = server.Start();
  if (!url.ok()) {
    std::cerr << "error: " << url.status().message() << "\n";
    return 1;
  }
  if (!port_file.empty()) {
    std::ofstream(port_file + ".tmp") << server.port() << "\n";
    std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  }
  std::cout << *url << std::endl;
  int received = 0;
  sigwait(&signals, &received);
  server.Stop();
  return 0;
}
