#pragma once

// The kubeconfig format itself (internal to np_kube; kube_config.h is the API):
// one file parsed into its named clusters, users and contexts, and several files
// merged the way kubectl merges $KUBECONFIG. No file is read here, so this is
// what the kubeconfig fuzz target drives.

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/json.h"
#include "common/kube/kube_config.h"

namespace nanoplane::kube {

// One clusters[i] / users[i] / contexts[i] entry: its inner map ("cluster",
// "user" or "context") and where it came from, for messages and relative paths.
struct KubeConfigEntry {
  Json value;           // an object (possibly empty)
  std::string file;     // as messages show it ("~/.kube/config")
  std::string dir;      // the directory relative paths in it are relative to
  std::string field;    // "users[0].user"
};

struct KubeConfigFile {
  std::string file;  // as messages show it
  std::string current_context;
  std::map<std::string, KubeConfigEntry> clusters, users, contexts;
};

// InvalidArgument naming `file` and the field for YAML that is not a kubeconfig:
// a list that is not a list, an entry without a name, a name given twice.
[[nodiscard]] absl::StatusOr<KubeConfigFile> ParseKubeConfigFile(std::string_view text,
                                                                const std::string& file,
                                                                const std::string& dir);

// Adds `next` under `merged` as kubectl does: what `merged` already has wins
// (the first file to set a name, or current-context, keeps it).
void MergeKubeConfigFile(KubeConfigFile& merged, KubeConfigFile next);

// The KubeConfig that `merged` describes for the context `options` chooses: its
// cluster and user, with the files they name read. Errors as in kube_config.h.
[[nodiscard]] absl::StatusOr<KubeConfig> ResolveKubeConfig(const KubeConfigFile& merged,
                                                           const KubeConfigOptions& options);

}  // namespace nanoplane::kube
