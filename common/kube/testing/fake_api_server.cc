#include "common/strings.h"
#include "common/kube/testing/fake_api_server.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/files.h"
#include "common/kube/testing/api_errors.h"
#include "common/kube/testing/discovery.h"
#include "common/yaml_json.h"

namespace nanoplane::kube::testing {
namespace {

absl::Status ResourceNotFound() {
  return ApiError(404, "NotFound", "the server could not find the requested resource",
                  Json::object());
}

const char* ReasonFor(int code) {
  switch (code) {
    case 409: return "Conflict";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    default: return "";
  }
}

void SendJson(ResponseWriter& writer, int code, const Json& body) {
  writer.Send(code, "application/json", body.dump());
}

// An OpenAPI v2 document with no definitions. kubectl downloads it (as
// protobuf, gnostic's openapi_v2.Document) to validate what it applies, and
// skips the validation of kinds it does not define. The real server
// publishes every schema there, so kubectl validates client-side against
// it; the fake leaves all validation to the server side.
void ServeOpenApiV2(const HttpRequest& request, ResponseWriter& writer) {
  if (absl::StrContains(request.Header("accept"), "protobuf")) {
    // Document{swagger: "2.0" (1), info (2): Info{title: "Kubernetes" (1), version: "v1.23.0" (2)}}
    const std::string info = std::string("\x0a\x0aKubernetes\x12\x07v1.23.0", 21);
    const std::string doc = std::string("\x0a\x03" "2.0\x12", 6) + static_cast<char>(info.size()) + info;
    writer.Send(200, "application/octet-stream", doc);  // as kube-openapi answers
    return;
  }
  SendJson(writer, 200,
           {{"swagger", "2.0"}, {"info", {{"title", "Kubernetes"}, {"version", "v1.23.0"}}},
            {"paths", Json::object()}, {"definitions", Json::object()}});
}

}  // namespace

absl::StatusOr<std::pair<std::string, UserInfo>> ParseTokenSpec(absl::string_view spec) {
  size_t eq = spec.find('=');
  if (eq == absl::string_view::npos || eq == 0 || eq + 1 == spec.size()) {
    return absl::InvalidArgumentError(
        StrCat("--token ", spec, ": expected TOKEN=USER[:GROUP,...]"));
  }
  absl::string_view who = spec.substr(eq + 1);
  size_t colon = who.find(':');
  // A service account's user name has colons of its own:
  // "system:serviceaccount:NS:NAME", and only then ":GROUPS".
  if (absl::StartsWith(who, "system:serviceaccount:")) {
    colon = who.find(':', who.find(':', absl::string_view("system:serviceaccount:").size()) + 1);
  }
  UserInfo user{std::string(who.substr(0, colon)), {}};
  if (colon != absl::string_view::npos) {
    user.groups = absl::StrSplit(who.substr(colon + 1), ',', absl::SkipEmpty());
  }
  return std::pair{std::string(spec.substr(0, eq)), user};
}

FakeApiServer::FakeApiServer(FakeApiServerOptions options)
    : options_(std::move(options)),
      store_(options_.watch_history),
      verbs_(store_, registry_),
      tokens_(options_.tokens) {}

FakeApiServer::~FakeApiServer() { Stop(); }

absl::StatusOr<std::string> FakeApiServer::Start() {
  std::vector<std::string> host_port = absl::StrSplit(options_.address, absl::MaxSplits(':', 1));
  int port = 0;
  if (host_port.size() != 2 || !absl::SimpleAtoi(host_port[1], &port)) {
    return absl::InvalidArgumentError(
        StrCat("address ", options_.address, " is not HOST:PORT"));
  }
  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    auto created = CreateObject({{"apiVersion", "v1"}, {"kind", "Namespace"},
                                 {"metadata", {{"name", ns}}}});
    if (!created.ok()) {
      return created.status();
    }
  }
  // The bootstrap policy's cluster-admin, which bindings in tests refer to.
  auto admin = CreateObject(
      {{"apiVersion", "rbac.authorization.k8s.io/v1"}, {"kind", "ClusterRole"},
       {"metadata", {{"name", "cluster-admin"}}},
       {"rules", Json::array({{{"apiGroups", {"*"}}, {"resources", {"*"}}, {"verbs", {"*"}}},
                              {{"nonResourceURLs", {"*"}}, {"verbs", {"*"}}}})}});
  if (!admin.ok()) {
    return admin.status();
  }
  for (const std::string& file : options_.crd_files) {
    auto text = ReadFileToString(file);
    if (!text.ok()) {
      return text.status();
    }
    if (absl::Status s = AddCrdYaml(*text); !s.ok()) {
      return absl::InvalidArgumentError(StrCat(file, ": ", s.message()));
    }
  }
  auto bound = http_.Start({.host = host_port[0],
                            .port = port,
                            .tls_cert_file = options_.tls_cert_file,
                            .tls_key_file = options_.tls_key_file,
                            .client_ca_file = options_.client_ca_file},
                           [this](const HttpRequest& r, ResponseWriter& w) { Handle(r, w); });
  if (!bound.ok()) {
    return bound.status();
  }
  port_ = *bound;
  url_ = StrCat(http_.tls() ? "https://" : "http://", host_port[0], ":", port_);
  return url_;
}

void FakeApiServer::Stop() {
  stopping_ = true;
  http_.Stop();
}

absl::Status FakeApiServer::AddCrdYaml(absl::string_view yaml) {
  auto docs = ParseYamlDocuments(std::string_view(yaml.data(), yaml.size()));
  if (!docs.ok()) {
    return docs.status();
  }
  for (auto& doc : *docs) {
    if (!doc.ok()) {
      return doc.status();
    }
    if (doc->is_null()) {
      continue;
    }
    auto created = CreateObject(*doc);
    if (!created.ok()) {
      return absl::InvalidArgumentError(ErrorBody(created.status()).value("message", ""));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Json> FakeApiServer::CreateObject(const Json& object) {
  std::string api_version = object.value("apiVersion", "");
  std::string kind = object.value("kind", "");
  std::vector<std::string> gv = absl::StrSplit(api_version, absl::MaxSplits('/', 1));
  std::string group = gv.size() == 2 ? gv[0] : "";
  std::string version = gv.back();
  for (const ResourceInfo& r : registry_.All()) {
    if (r.group == group && r.version == version && r.kind == kind) {
      VerbRequest request{.resource = r,
                          .ns = r.namespaced ? object.value("/metadata/namespace"_json_pointer,
                                                            std::string("default"))
                                             : "",
                          .body = object.dump()};
      auto created = verbs_.Create(request);
      if (!created.ok()) {
        return created.status();
      }
      return created->body;
    }
  }
  return absl::NotFoundError(StrCat("no resource of kind ", kind, " in ", api_version));
}

absl::StatusOr<Json> FakeApiServer::GetObject(const std::string& api_version,
                                              const std::string& resource, const std::string& ns,
                                              const std::string& name) {
  std::vector<std::string> gv = absl::StrSplit(api_version, absl::MaxSplits('/', 1));
  auto r = registry_.Find(gv.size() == 2 ? gv[0] : "", gv.back(), resource);
  if (!r.has_value()) {
    return ResourceNotFound();
  }
  auto got = verbs_.Get({.resource = *r, .ns = ns, .name = name});
  if (!got.ok()) {
    return got.status();
  }
  return got->body;
}

void FakeApiServer::Compact() { store_.Compact(); }
void FakeApiServer::SendBookmarks() { ++bookmark_epoch_; }
void FakeApiServer::EndWatches() { ++end_epoch_; }

void FakeApiServer::FailNext(const std::string& verb, const std::string& resource, int code,
                             int count) {
  std::lock_guard<std::mutex> lock(mu_);
  injected_.push_back({verb, resource, code, count});
}

void FakeApiServer::AddToken(const std::string& token, UserInfo user) {
  std::lock_guard<std::mutex> lock(mu_);
  tokens_[token] = std::move(user);
}

std::map<std::string, int64_t> FakeApiServer::RequestCounts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

std::map<RequestKind, int64_t> FakeApiServer::RequestCountsByKind() const {
  std::lock_guard<std::mutex> lock(mu_);
  return detailed_counts_;
}

absl::Status FakeApiServer::InjectedFailure(const RequestInfo& info) {
  std::string resource = info.subresource.empty() ? info.resource
                                                  : info.resource + "/" + info.subresource;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = injected_.begin(); it != injected_.end(); ++it) {
    if ((it->verb == "*" || it->verb == info.verb) &&
        (it->resource == "*" || it->resource == resource)) {
      int code = it->code;
      if (--it->count <= 0) {
        injected_.erase(it);
      }
      Json details = code == 429 || code == 503 || code == 504
                         ? Json{{"retryAfterSeconds", 1}}
                         : Json(nullptr);
      return ApiError(code, ReasonFor(code), StrCat("injected failure (", code, ")"),
                      details);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<UserInfo> FakeApiServer::Authenticate(const HttpRequest& request) const {
  UserInfo user;
  std::string auth = request.Header("authorization");
  if (!request.client_cn.empty()) {
    user = {request.client_cn, request.client_orgs};
  } else if (absl::StartsWithIgnoreCase(auth, "bearer ")) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tokens_.find(std::string(absl::StripAsciiWhitespace(auth.substr(7))));
    if (it == tokens_.end()) {
      return Unauthorized();
    }
    user = it->second;
  } else if (options_.anonymous == Anonymous::kAdmin) {
    return UserInfo{"system:admin", {"system:masters", "system:authenticated"}};
  } else if (options_.anonymous == Anonymous::kRbac) {
    return UserInfo{"system:anonymous", {"system:unauthenticated"}};
  } else {
    return Unauthorized();
  }
  user.groups.push_back("system:authenticated");
  return user;
}

void FakeApiServer::Handle(const HttpRequest& request, ResponseWriter& writer) {
  auto user = Authenticate(request);
  if (!user.ok()) {
    SendJson(writer, 401, ErrorBody(user.status()));
    return;
  }
  RequestInfo info = ParseRequestInfo(request.method, request.path,
                                      QueryBool(request.Query("watch")), registry_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++counts_[info.verb];
    ++detailed_counts_[{.user = user->name,
                        .verb = info.verb,
                        .resource = info.subresource.empty()
                                        ? info.resource
                                        : info.resource + "/" + info.subresource}];
  }
  if (options_.rbac) {
    Decision decision = AuthorizeRbac(store_, *user, info);
    if (!decision.allowed) {
      std::string message = ForbiddenMessage(*user, info);
      if (!decision.reason.empty()) {
        StrAppend(&message, ": ", decision.reason);
      }
      if (!info.resource_request) {
        SendJson(writer, 403, ErrorBody(ApiError(403, "Forbidden", "forbidden: " + message,
                                                 Json::object())));
        return;
      }
      SendJson(writer, 403,
               ErrorBody(Forbidden({info.group, info.resource}, info.name, message)));
      return;
    }
  }
  if (!info.resource_request) {
    if (!ServeNonResource(request, writer)) {
      SendJson(writer, 404, ErrorBody(ResourceNotFound()));
    }
    return;
  }
  ServeResource(request, info, *user, writer);
}

bool FakeApiServer::ServeNonResource(const HttpRequest& request, ResponseWriter& writer) {
  const std::string& path = request.path;
  std::vector<ResourceInfo> all = registry_.All();
  std::optional<Json> doc;
  if (path == "/healthz" || path == "/livez" || path == "/readyz") {
    writer.Send(200, "text/plain; charset=utf-8", "ok");
    return true;
  }
  if (path == "/openapi/v2") {
    ServeOpenApiV2(request, writer);
    return true;
  }
  if (path == "/version") {
    doc = VersionInfo();
  } else if (path == "/api") {
    doc = CoreVersions(StrCat("127.0.0.1:", port_));
  } else if (path == "/apis") {
    doc = GroupList(all);
  } else {
    std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
    if (parts.size() == 2 && parts[0] == "api") {
      doc = ResourceList(all, "", parts[1]);
    } else if (parts.size() == 2 && parts[0] == "apis") {
      doc = Group(all, parts[1]);
    } else if (parts.size() == 3 && parts[0] == "apis") {
      doc = ResourceList(all, parts[1], parts[2]);
    }
  }
  if (!doc.has_value()) {
    return false;
  }
  SendJson(writer, 200, *doc);
  return true;
}

}  // namespace nanoplane::kube::testing
