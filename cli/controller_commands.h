#pragma once

// The kubectl-like commands that talk to a controller: apply, get, describe,
// delete, scale, rollout, logs, events. Each Run* function does one command
// against `context.stub` and returns the exit code (0 or 1); errors go to
// context.err, results to context.out.

#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/controller_client.h"

namespace nanoplane::cli {

// Reads the manifests (every error listed; nothing applied if any), uploads
// local source files (relative to their manifest) and applies the objects.
// `ns`, when set, replaces the namespace of objects in "default".
int RunApply(const CommandContext& context, const std::vector<std::string>& paths,
             const std::optional<std::string>& ns = std::nullopt);

enum class GetOutput { kTable, kWide, kYaml, kJson };

// `what`: unikernels|unikernel|uk|instances|instance|hosts|host; `name` optional.
int RunGet(const CommandContext& context, const std::string& what, const std::string& name,
           GetOutput output);

int RunDescribe(const CommandContext& context, const std::string& name);

// Deletes `name`, or every Unikernel named in `files` when they are given.
int RunDelete(const CommandContext& context, const std::string& name,
              const std::vector<std::string>& files);

int RunScale(const CommandContext& context, const std::string& name, int32_t replicas);

struct RolloutOptions {
  std::string verb;  // status|history|undo|pause|resume|restart
  std::string name;
  int64_t revision = 0;             // history --revision, undo --to-revision, status --revision
  bool watch = true;                // status
  std::chrono::seconds timeout{0};  // status: give up after this long (0: never)
};
// `rollout status` exits 0 once the rollout completes, 1 when it fails
// (ProgressDeadlineExceeded).
int RunRollout(const CommandContext& context, const RolloutOptions& options);

int RunLogs(const CommandContext& context, const std::string& name, const std::string& instance,
            bool follow);

int RunEvents(const CommandContext& context, bool all_namespaces);

// Registers every command above on `app`, with --controller and -n/--namespace.
void RegisterControllerCommands(CLI::App& app);

// As kubectl-nanoplane (kube_plugin.h): the commands registered after this
// talk to the Kubernetes API server of --kubeconfig/--context instead.
void SetKubectlPlugin(bool plugin);

}  // namespace nanoplane::cli
