// nanoplane-controller: flag parsing and wiring only (controller/server).

#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <optional>

#include "CLI/CLI.hpp"
#include "common/files.h"
#include "common/log.h"
#include "controller/server/controller_server.h"

int main(int argc, char** argv) {
  nanoplane::controller::ControllerServerOptions options;
  std::string join_token_file, log_level = "info";
  int grace_seconds = 40, eviction_seconds = 300;
  int gc_interval_seconds = 600, gc_min_age_seconds = 3600;
  int manifests_resync_seconds = 30;
  std::string store = "sqlite", kube_namespace;
  std::optional<bool> leader_elect;
  const char* home = std::getenv("HOME");
  options.data_dir = std::string(home ? home : "/var/lib") + "/.local/share/nanoplane/controller";

  CLI::App app{"nanoplane-controller: reconciles Unikernels onto the fleet's agents"};
  app.add_option("--data-dir", options.data_dir, "Store and artifacts")->capture_default_str();
  app.add_option("--api-address", options.api_address, "The controller API (for the CLI)")
      ->capture_default_str();
  app.add_option("--agent-address", options.agent_address, "Where agents connect")
      ->capture_default_str();
  app.add_option("--metrics-address", options.metrics_address, "/healthz /readyz /metrics")
      ->capture_default_str();
  app.add_option("--join-token", options.join_token, "Agents must present this token");
  app.add_option("--join-token-file", join_token_file, "...or read it from this file");
  app.add_option("--tls-cert", options.tls_cert_file,
                 "Serve agents over TLS with this certificate");
  app.add_option("--tls-key", options.tls_key_file, "...and this key");
  app.add_option("--client-ca", options.client_ca_file,
                 "Require agent certificates signed by this CA");
  app.add_option("--host-grace-period", grace_seconds, "Seconds before a silent host is NotReady")
      ->capture_default_str();
  app.add_option("--eviction-timeout", eviction_seconds,
                 "Seconds before a NotReady host's instances are replaced")
      ->capture_default_str();
  app.add_option("--artifact-gc-interval", gc_interval_seconds,
                 "Seconds between deletions of blobs no Unikernel or revision "
                 "references")
      ->capture_default_str()
      ->check(CLI::Range(1, 365 * 86400));
  app.add_option("--artifact-gc-min-age", gc_min_age_seconds,
                 "Seconds an unreferenced blob is kept (an upload not yet applied)")
      ->capture_default_str()
      ->check(CLI::Range(0, 365 * 86400));
  app.add_option("--manifests", options.manifests_dir,
                 "Keep the Unikernels of this directory (recursively) applied: GitOps");
  app.add_option("--manifests-resync", manifests_resync_seconds,
                 "Seconds between full re-reads of --manifests (changes are seen at once)")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  app.add_option("--store", store,
                 "sqlite (embedded, in --data-dir) or kubernetes (the API server of the "
                 "kubeconfig, or of the pod's service account)")
      ->check(CLI::IsMember({"sqlite", "kubernetes"}))
      ->capture_default_str();
  app.add_option("--kubeconfig", options.kubernetes.config.kubeconfig,
                 "With --store kubernetes: this kubeconfig (else $KUBECONFIG, ~/.kube/config)");
  app.add_option("--context", options.kubernetes.config.context,
                 "With --store kubernetes: this kubeconfig context");
  app.add_option("--namespace", kube_namespace,
                 "With --store kubernetes: only this namespace's Unikernels (default: all)");
  app.add_option("--lease-namespace", options.kubernetes.lease_namespace,
                 "With --store kubernetes: where the leader-election Lease is")
      ->capture_default_str();
  app.add_option("--kube-api-qps", options.kubernetes.qps,
                 "Requests per second to the API server (client-side limit)")
      ->capture_default_str();
  app.add_option("--kube-api-burst", options.kubernetes.burst, "...with bursts of this many")
      ->capture_default_str();
  app.add_option("--leader-elect", leader_elect,
                 "Act only while holding the lease (default: true with --store kubernetes)");
  app.add_option("--leader-election-id", options.election.identity,
                 "This candidate's name in the lease (default: host-pid, or $POD_NAME)");
  app.add_option("--log-level", log_level, "debug, info, warn or error")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  if (!nanoplane::SetLogLevel(log_level)) {
    std::cerr << "error: --log-level " << log_level << " is not debug, info, warn or error\n";
    return 2;
  }
  if (!join_token_file.empty()) {
    auto token = nanoplane::ReadFileToString(join_token_file);
    if (!token.ok()) {
      std::cerr << "error: " << token.status().message() << "\n";
      return 2;
    }
    options.join_token = token->substr(0, token->find_last_not_of(" \n\r\t") + 1);
  }
  options.host_grace_period = absl::Seconds(grace_seconds);
  options.eviction_timeout = absl::Seconds(eviction_seconds);
  options.artifact_gc = {.interval = absl::Seconds(gc_interval_seconds),
                         .min_age = absl::Seconds(gc_min_age_seconds)};
  options.manifests_resync = absl::Seconds(manifests_resync_seconds);
  options.store = store == "kubernetes" ? nanoplane::controller::StoreKind::kKubernetes
                                        : nanoplane::controller::StoreKind::kSqlite;
  if (!kube_namespace.empty()) {
    options.kubernetes.ns = kube_namespace;
  }
  options.leader_elect =
      leader_elect.value_or(options.store == nanoplane::controller::StoreKind::kKubernetes);
  if (const char* pod = std::getenv("POD_NAME");
      pod != nullptr && options.election.identity.empty()) {
    options.election.identity = pod;
  }
  // As client-go's controllers do when the lease is lost: stop at once; the
  // supervisor starts a new candidate. VMs keep running on their hosts.
  options.on_lost_leadership = [] {
    std::cerr << "nanoplane-controller: lost the leader lease; exiting" << std::endl;
    std::_Exit(3);
  };

  // Block the stop signals before any thread starts, then wait for one.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = nanoplane::controller::ControllerServer::Start(options);
  if (!server.ok()) {
    std::cerr << "error: " << server.status().message() << "\n";
    return 1;
  }
  if (options.leader_elect) {
    std::cout << "nanoplane-controller: campaigning for the lease as " << (*server)->identity()
              << "; metrics " << (*server)->metrics_address() << std::endl;
  } else {
    std::cout << "nanoplane-controller: API " << (*server)->api_address() << ", agents "
              << (*server)->agent_address() << ", metrics " << (*server)->metrics_address()
              << std::endl;
  }
  int received = 0;
  sigwait(&signals, &received);
  server->reset();
  return 0;
}
