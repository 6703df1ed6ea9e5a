#include "common/kube/kube_config.h"

#include <cstdlib>
#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "common/files.h"
#include "common/kube/kubeconfig_file.h"
#include "common/kube/pem.h"
#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::kube {
namespace {

namespace fs = std::filesystem;

constexpr uintmax_t kMaxReferencedFile = 1 << 20;

std::string EnvOr(const std::optional<std::string>& given, const char* name) {
  if (given) {
    return *given;
  }
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// Where one field of an entry is, for messages: "~/.kube/config: users[0].user.token".
std::string Where(const KubeConfigEntry& entry, std::string_view key) {
  return StrCat(entry.file, ": ", entry.field, ".", key);
}

absl::Status FieldError(const KubeConfigEntry& entry, std::string_view key, std::string_view what) {
  return absl::InvalidArgumentError(StrCat(Where(entry, key), ": ", what));
}

// The string at `key`, "" when absent; InvalidArgument when it is not a string.
absl::StatusOr<std::string> StringField(const KubeConfigEntry& entry, std::string_view key) {
  auto it = entry.value.find(key);
  if (it == entry.value.end() || it->is_null()) {
    return std::string();
  }
  if (!it->is_string()) {
    return FieldError(entry, key, "not a string");
  }
  return it->get<std::string>();
}

absl::StatusOr<std::string> Base64Field(const KubeConfigEntry& entry, std::string_view key) {
  NP_ASSIGN_OR_RETURN(std::string text, StringField(entry, key));
  std::string compact;
  for (char c : text) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
      compact.push_back(c);
    }
  }
  std::string decoded;
  if (!compact.empty() && !absl::Base64Unescape(compact, &decoded)) {
    return FieldError(entry, key, "not base64");
  }
  return decoded;
}

// A file an entry names, relative to the kubeconfig that names it.
absl::StatusOr<std::string> FileField(const KubeConfigEntry& entry, std::string_view key,
                                      std::string* path_out = nullptr) {
  NP_ASSIGN_OR_RETURN(std::string path, StringField(entry, key));
  if (path.empty()) {
    return std::string();
  }
  if (fs::path(path).is_relative() && !entry.dir.empty()) {
    path = (fs::path(entry.dir) / path).string();
  }
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return absl::NotFoundError(StrCat(Where(entry, key), ": ", path, ": no such file"));
  }
  // A certificate, key or token is a small regular file; anything else (a
  // FIFO, /dev/zero) would hang or exhaust the reader.
  if (!fs::is_regular_file(path, ec) || fs::file_size(path, ec) > kMaxReferencedFile) {
    return FieldError(entry, key, StrCat(path, ": not a regular file of at most 1 MiB"));
  }
  auto data = ReadFileToString(path);
  if (!data.ok()) {
    return FieldError(entry, key, std::string(data.status().message()));
  }
  if (path_out != nullptr) {
    *path_out = path;
  }
  return *std::move(data);
}

// The `-data` form wins over the file form, as in client-go.
absl::StatusOr<std::string> DataOrFile(const KubeConfigEntry& entry, std::string_view file_key,
                                       const std::string& data_key) {
  NP_ASSIGN_OR_RETURN(std::string data, Base64Field(entry, data_key));
  if (!data.empty()) {
    return data;
  }
  return FileField(entry, file_key);
}

absl::Status CheckedPem(const KubeConfigEntry& entry, std::string_view key, absl::Status status) {
  return status.ok() ? status : FieldError(entry, key, std::string(status.message()));
}

absl::Status ResolveCluster(const KubeConfigEntry& cluster, KubeConfig& out) {
  NP_ASSIGN_OR_RETURN(out.server, StringField(cluster, "server"));
  if (out.server.empty()) {
    return FieldError(cluster, "server", "missing");
  }
  if (out.server.rfind("https://", 0) != 0 && out.server.rfind("http://", 0) != 0) {
    return FieldError(cluster, "server", StrCat("\"", out.server, "\" is not an http(s) URL"));
  }
  while (out.server.ends_with('/')) {
    out.server.pop_back();
  }
  if (cluster.value.contains("proxy-url")) {
    return FieldError(cluster, "proxy-url", "proxies are not supported");
  }
  NP_ASSIGN_OR_RETURN(out.ca_pem,
                      DataOrFile(cluster, "certificate-authority", "certificate-authority-data"));
  if (!out.ca_pem.empty()) {
    NP_RETURN_IF_ERROR(CheckedPem(cluster, "certificate-authority", CheckPemCertificates(out.ca_pem)));
  }
  if (auto it = cluster.value.find("insecure-skip-tls-verify"); it != cluster.value.end()) {
    if (!it->is_boolean()) {
      return FieldError(cluster, "insecure-skip-tls-verify", "not true or false");
    }
    out.insecure_skip_tls_verify = it->get<bool>();
  }
  if (out.insecure_skip_tls_verify && !out.ca_pem.empty()) {
    // kubectl refuses this pair too: it is a mistake either way.
    return FieldError(cluster, "insecure-skip-tls-verify",
                      "set together with a certificate authority; choose one");
  }
  NP_ASSIGN_OR_RETURN(out.tls_server_name, StringField(cluster, "tls-server-name"));
  return absl::OkStatus();
}

absl::Status RefuseUnsupportedAuth(const KubeConfigEntry& user) {
  if (auto exec = user.value.find("exec"); exec != user.value.end()) {
    std::string command = exec->is_object() ? exec->value("command", "") : "";
    return FieldError(user, "exec",
                      StrCat("exec credential plugins", command.empty() ? "" : " (", command,
                             command.empty() ? "" : ")",
                             " are not supported; use a token, tokenFile or client certificate"));
  }
  if (auto provider = user.value.find("auth-provider"); provider != user.value.end()) {
    std::string name = provider->is_object() ? provider->value("name", "") : "";
    return FieldError(user, "auth-provider",
                      StrCat("auth providers (", name.empty() ? "unnamed" : name,
                             ") are not supported; use a token, tokenFile or client certificate"));
  }
  for (const char* key : {"username", "password"}) {
    if (user.value.contains(key)) {
      return FieldError(user, key, "basic authentication is not supported");
    }
  }
  for (const char* key : {"as", "as-uid", "as-groups", "as-user-extra"}) {
    if (user.value.contains(key)) {
      return FieldError(user, key, "impersonation is not supported");
    }
  }
  return absl::OkStatus();
}

absl::Status ResolveUser(const KubeConfigEntry& user, KubeConfig& out) {
  NP_RETURN_IF_ERROR(RefuseUnsupportedAuth(user));
  NP_ASSIGN_OR_RETURN(out.client_certificate_pem,
                      DataOrFile(user, "client-certificate", "client-certificate-data"));
  NP_ASSIGN_OR_RETURN(out.client_key_pem, DataOrFile(user, "client-key", "client-key-data"));
  if (out.client_certificate_pem.empty() != out.client_key_pem.empty()) {
    return FieldError(user, out.client_key_pem.empty() ? "client-key" : "client-certificate",
                      "missing (a client certificate needs its key, and a key its certificate)");
  }
  if (!out.client_certificate_pem.empty()) {
    NP_RETURN_IF_ERROR(CheckedPem(user, "client-key",
                                  CheckPemKeyPair(out.client_certificate_pem, out.client_key_pem)));
  }
  NP_ASSIGN_OR_RETURN(out.token, StringField(user, "token"));
  // Read once now so that a missing file is reported here; the client re-reads it.
  NP_ASSIGN_OR_RETURN(std::string token, FileField(user, "tokenFile", &out.token_file));
  return absl::OkStatus();
}

std::string Names(const std::map<std::string, KubeConfigEntry>& entries) {
  std::vector<std::string> names;
  for (const auto& [name, entry] : entries) {
    names.push_back(name);
  }
  return names.empty() ? "none" : StrJoin(names, ", ");
}

absl::StatusOr<const KubeConfigEntry*> Lookup(const std::map<std::string, KubeConfigEntry>& in,
                                              const KubeConfigEntry& context, std::string_view key,
                                              std::string_view kind) {
  NP_ASSIGN_OR_RETURN(std::string name, StringField(context, key));
  if (name.empty()) {
    return FieldError(context, key, "missing");
  }
  auto it = in.find(name);
  if (it == in.end()) {
    return FieldError(context, key,
                      StrCat(kind, " \"", name, "\" not found (", kind, "s: ", Names(in), ")"));
  }
  return &it->second;
}

}  // namespace

absl::StatusOr<KubeConfig> ResolveKubeConfig(const KubeConfigFile& merged,
                                             const KubeConfigOptions& options) {
  std::string context_name = options.context.empty() ? merged.current_context : options.context;
  if (context_name.empty()) {
    return absl::InvalidArgumentError(
        StrCat(merged.file, ": current-context is not set; pass --context (contexts: ",
               Names(merged.contexts), ")"));
  }
  auto context = merged.contexts.find(context_name);
  if (context == merged.contexts.end()) {
    return absl::InvalidArgumentError(StrCat("context \"", context_name, "\" not found in ",
                                             merged.file, " (contexts: ", Names(merged.contexts),
                                             ")"));
  }
  KubeConfig out{.source = StrCat("kubeconfig ", merged.file), .context = context_name};
  NP_ASSIGN_OR_RETURN(const KubeConfigEntry* cluster,
                      Lookup(merged.clusters, context->second, "cluster", "cluster"));
  NP_ASSIGN_OR_RETURN(const KubeConfigEntry* user,
                      Lookup(merged.users, context->second, "user", "user"));
  NP_ASSIGN_OR_RETURN(out.user, StringField(context->second, "user"));
  NP_RETURN_IF_ERROR(ResolveCluster(*cluster, out));
  NP_RETURN_IF_ERROR(ResolveUser(*user, out));
  NP_ASSIGN_OR_RETURN(std::string ns, StringField(context->second, "namespace"));
  out.namespace_name =
      !options.namespace_name.empty() ? options.namespace_name : ns.empty() ? "default" : ns;
  return out;
}

namespace {

absl::StatusOr<KubeConfigFile> ReadKubeConfigFile(const std::string& path, const std::string& home) {
  const std::string shown = DisplayPath(path, home);
  auto text = ReadFileToString(path);
  if (!text.ok()) {
    return absl::InvalidArgumentError(StrCat(shown, ": cannot be read"));
  }
  return ParseKubeConfigFile(*text, shown, fs::path(path).parent_path().string());
}

// The files to merge, in order: --kubeconfig, else $KUBECONFIG, else ~/.kube/config.
absl::StatusOr<std::vector<std::string>> KubeConfigPaths(const KubeConfigOptions& options,
                                                         const std::string& home) {
  std::error_code ec;
  if (!options.kubeconfig.empty()) {
    if (!fs::exists(options.kubeconfig, ec)) {
      return absl::NotFoundError(StrCat("--kubeconfig ", options.kubeconfig, ": no such file"));
    }
    return std::vector<std::string>{options.kubeconfig};
  }
  const std::string env = EnvOr(options.kubeconfig_env, "KUBECONFIG");
  if (!env.empty()) {
    std::vector<std::string> paths;
    for (std::string_view part : StrSplit(env, ':')) {
      if (!part.empty() && fs::exists(std::string(part), ec)) {
        paths.emplace_back(part);
      }
    }
    if (paths.empty()) {
      return absl::NotFoundError(StrCat("$KUBECONFIG (", env, ") names no existing file"));
    }
    return paths;
  }
  const std::string fallback = (fs::path(home) / ".kube" / "config").string();
  if (home.empty() || !fs::exists(fallback, ec)) {
    return absl::NotFoundError(StrCat(home.empty() ? fallback : DisplayPath(fallback, home),
                                      ": no such file; pass --kubeconfig or set $KUBECONFIG"));
  }
  return std::vector<std::string>{fallback};
}

}  // namespace

std::string DisplayPath(const std::string& path, const std::string& home) {
  if (!home.empty() && path.size() > home.size() && path.rfind(home, 0) == 0 &&
      path[home.size()] == '/') {
    return StrCat("~", path.substr(home.size()));
  }
  return path;
}

absl::StatusOr<KubeConfig> LoadKubeConfig(const KubeConfigOptions& options) {
  const std::string home = EnvOr(options.home, "HOME");
  NP_ASSIGN_OR_RETURN(std::vector<std::string> paths, KubeConfigPaths(options, home));
  KubeConfigFile merged;
  for (const std::string& path : paths) {
    NP_ASSIGN_OR_RETURN(KubeConfigFile file, ReadKubeConfigFile(path, home));
    MergeKubeConfigFile(merged, std::move(file));
  }
  return ResolveKubeConfig(merged, options);
}

absl::StatusOr<KubeConfig> InClusterConfig(const InClusterOptions& options) {
  const std::string host = EnvOr(options.service_host, "KUBERNETES_SERVICE_HOST");
  const std::string port = EnvOr(options.service_port, "KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty()) {
    return absl::NotFoundError(
        "not running in a Kubernetes pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are "
        "not set");
  }
  const std::filesystem::path dir(options.service_account_dir);
  KubeConfig out{.source = "in-cluster service account"};
  // An IPv6 service address needs brackets in a URL.
  out.server = host.find(':') != std::string::npos ? StrCat("https://[", host, "]:", port)
                                                   : StrCat("https://", host, ":", port);
  out.token_file = (dir / "token").string();
  std::error_code ec;
  if (!std::filesystem::exists(out.token_file, ec)) {
    return absl::NotFoundError(StrCat(out.token_file, ": no such file (no service account token)"));
  }
  auto ca = ReadFileToString((dir / "ca.crt").string());
  if (!ca.ok()) {
    return absl::NotFoundError(StrCat((dir / "ca.crt").string(), ": cannot be read"));
  }
  if (absl::Status pem = CheckPemCertificates(*ca); !pem.ok()) {
    return absl::InvalidArgumentError(StrCat((dir / "ca.crt").string(), ": ", pem.message()));
  }
  out.ca_pem = *std::move(ca);
  if (auto ns = ReadFileToString((dir / "namespace").string()); ns.ok()) {
    std::string name = *ns;
    while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) {
      name.pop_back();
    }
    if (!name.empty()) {
      out.namespace_name = name;
    }
  }
  return out;
}

}  // namespace nanoplane::kube
