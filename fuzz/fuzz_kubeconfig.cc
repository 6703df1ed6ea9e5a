// libFuzzer target: the kubeconfig reader on arbitrary bytes, as one file and
// as two merged (the input split at its first form feed). Beyond "never
// crashes": a config that resolves keeps the promises of kube_config.h.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/kube/kubeconfig_file.h"

namespace {

// What a resolved config promises its users (kube_config.h).
void Check(const absl::StatusOr<nanoplane::kube::KubeConfig>& config) {
  if (!config.ok()) {
    return;
  }
  bool ok = config->server.rfind("http", 0) == 0 && !config->server.ends_with('/') &&
            !config->namespace_name.empty() &&
            config->client_certificate_pem.empty() == config->client_key_pem.empty() &&
            !(config->insecure_skip_tls_verify && !config->ca_pem.empty());
  if (!ok) {
    std::fprintf(stderr, "a resolved config breaks its contract (server %s)\n",
                 config->server.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nanoplane::kube;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t split = text.find('\f');
  // A directory that does not exist: relative paths lead nowhere.
  const std::string dir = "/nonexistent-fuzz-dir";
  auto first = ParseKubeConfigFile(text.substr(0, split), "a", dir);
  if (!first.ok()) {
    return 0;
  }
  KubeConfigFile merged = *first;
  if (split != std::string_view::npos) {
    auto second = ParseKubeConfigFile(text.substr(split + 1), "b", dir);
    if (!second.ok()) {
      return 0;
    }
    MergeKubeConfigFile(merged, *second);
  }
  Check(ResolveKubeConfig(merged, {}));
  Check(ResolveKubeConfig(merged, {.context = "other", .namespace_name = "ns"}));
  return 0;
}
