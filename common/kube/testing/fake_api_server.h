#pragma once

// FakeApiServer: an in-process stand-in for a kube-apiserver (v1.23) on
// loopback, for tests and benchmarks. It serves the same REST paths, JSON
// and chunked watch streams, with the real server's semantics where our code
// can see them (see the files beside this one, each naming the real code it
// follows). What it does not do is said where it matters; in short: no
// protobuf, no HTTP/2, no managedFields/server-side-apply ownership (apply is
// a merge patch), no CEL rules, no admission webhooks, no conversion
// webhooks, no garbage collector and no aggregated ClusterRoles (as in a
// cluster without kube-controller-manager), no built-in schemas (built-in
// objects are stored as given, except Events' conversion).
//
// Usage:
//   FakeApiServer server({.tokens = {{"admin-token", {"admin", {"system:masters"}}}}});
//   ASSERT_OK_AND_ASSIGN(std::string url, server.Start());   // "http://127.0.0.1:PORT"
//   ... requests with "Authorization: Bearer admin-token" ...
//   server.EndWatches();   // hooks: see below
//
// Thread-safety: all methods are thread-safe; Start and Stop once each.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/json.h"
#include "common/kube/testing/http_server.h"
#include "common/kube/testing/object_store.h"
#include "common/kube/testing/rbac_authorizer.h"
#include "common/kube/testing/request_info.h"
#include "common/kube/testing/resources.h"
#include "common/kube/testing/rest_verbs.h"

namespace nanoplane::kube::testing {

enum class Anonymous {
  kReject,  // 401, as with --anonymous-auth=false
  kRbac,    // system:anonymous in system:unauthenticated, then authorized like anyone
  kAdmin,   // test convenience: unauthenticated requests act as a system:masters member
};

struct FakeApiServerOptions {
  std::string address = "127.0.0.1:0";
  std::map<std::string, UserInfo> tokens;  // bearer token -> user
  Anonymous anonymous = Anonymous::kReject;
  // Authorize users outside system:masters by the stored RBAC objects; when
  // false, every authenticated user may do everything.
  bool rbac = true;
  std::string tls_cert_file;  // serve HTTPS when set (with tls_key_file)
  std::string tls_key_file;
  std::string client_ca_file;  // accept client certificates: CN = user, O = groups
  std::vector<std::string> crd_files;  // YAML (multi-document) preloaded at Start
  size_t watch_history = 10000;        // changes kept for watches from an old resourceVersion
  absl::Duration bookmark_interval = absl::Minutes(1);  // the real cacher's frequency
};

// A kind of request: the authenticated user, the verb and the resource (with
// its subresource: "unikernels/status").
struct RequestKind {
  std::string user, verb, resource;
  auto operator<=>(const RequestKind&) const = default;
};

class FakeApiServer {
 public:
  explicit FakeApiServer(FakeApiServerOptions options = {});
  ~FakeApiServer();
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;

  // Loads the CRD files and starts serving. Returns the base URL.
  // InvalidArgument for a bad address, CRD file or TLS file; Unavailable when
  // the address cannot be bound.
  [[nodiscard]] absl::StatusOr<std::string> Start();
  // Ends every watch and connection.
  void Stop();
  std::string url() const { return url_; }
  int port() const { return port_; }

  // --- Test hooks ---
  // Serves what a CRD (YAML or JSON, one or more documents) declares, as
  // `kubectl apply -f crds/` would.
  [[nodiscard]] absl::Status AddCrdYaml(absl::string_view yaml);
  // Creates any object (an admin's POST to its collection), returns it as stored.
  [[nodiscard]] absl::StatusOr<Json> CreateObject(const Json& object);
  // The object as the API would return it, NotFound when absent.
  [[nodiscard]] absl::StatusOr<Json> GetObject(const std::string& api_version,
                                               const std::string& resource, const std::string& ns,
                                               const std::string& name);
  // Forgets the watch history: watches (and paged lists) from any older
  // resourceVersion get 410 Expired, as after an etcd compaction.
  void Compact();
  // Sends a BOOKMARK now on every watch that allowed bookmarks.
  void SendBookmarks();
  // Ends every open watch cleanly (the server-side end clients must resume from).
  void EndWatches();
  // The next `count` requests with this verb (get, list, watch, create, update,
  // patch, delete; "*" for any) on this resource ("unikernels", "unikernels/status",
  // "*") fail with `code` (429, 500, 503, 504 ...) and a matching Status.
  void FailNext(const std::string& verb, const std::string& resource, int code, int count = 1);
  void AddToken(const std::string& token, UserInfo user);
  int64_t ResourceVersion() const { return store_.revision(); }
  int OpenWatches() const { return open_watches_.load(); }
  // Requests served so far, by verb ("get", "list", "watch", "update"...).
  std::map<std::string, int64_t> RequestCounts() const;
  // And by who asked what (a watch counts once, when it starts).
  std::map<RequestKind, int64_t> RequestCountsByKind() const;

 private:
  struct Injected {
    std::string verb;
    std::string resource;
    int code;
    int count;
  };
  struct WatchParams;

  void Handle(const HttpRequest& request, ResponseWriter& writer);
  absl::StatusOr<UserInfo> Authenticate(const HttpRequest& request) const;
  bool ServeNonResource(const HttpRequest& request, ResponseWriter& writer);
  void ServeResource(const HttpRequest& request, const RequestInfo& info, const UserInfo& user,
                     ResponseWriter& writer);
  absl::StatusOr<VerbResponse> Dispatch(const RequestInfo& info, const VerbRequest& verb,
                                        const UserInfo& user);
  absl::StatusOr<VerbResponse> AccessReview(const VerbRequest& verb, const UserInfo& user);
  void ServeWatch(const HttpRequest& request, const VerbRequest& verb, ResponseWriter& writer);
  absl::Status InjectedFailure(const RequestInfo& info);
  Json Render(const HttpRequest& request, const ResourceInfo& resource, const Json& body) const;

  FakeApiServerOptions options_;
  ObjectStore store_;
  ResourceRegistry registry_;
  RestVerbs verbs_;
  HttpServer http_;
  std::string url_;
  int port_ = 0;
  std::atomic<int> open_watches_{0};
  std::atomic<int64_t> bookmark_epoch_{0};
  std::atomic<int64_t> end_epoch_{0};
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::map<std::string, UserInfo> tokens_;      // guarded by mu_
  std::vector<Injected> injected_;              // guarded by mu_
  std::map<std::string, int64_t> counts_;       // guarded by mu_
  std::map<RequestKind, int64_t> detailed_counts_;  // guarded by mu_
};

// "--token" flag values: "TOKEN=USER" or "TOKEN=USER:GROUP1,GROUP2".
[[nodiscard]] absl::StatusOr<std::pair<std::string, UserInfo>> ParseTokenSpec(
    absl::string_view spec);

}  // namespace nanoplane::kube::testing
