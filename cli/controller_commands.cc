// Registration of the controller commands: flags to Run* calls.

#include "cli/controller_commands.h"

#include <iostream>
#include <memory>

#include "cli/kube_plugin.h"

namespace nanoplane::cli {
namespace {

// Started as kubectl-nanoplane: the commands run over the cluster (kube_plugin.h).
bool kubectl_plugin = false;

struct ConnectionFlags {
  std::string controller;
  std::string kubeconfig, context;  // as a kubectl plugin
  std::string controller_namespace = "nanoplane-system";
  std::string ns;                   // empty: "default" (a plugin: the context's)
};

struct CommandFlags {
  ConnectionFlags connection;
  std::vector<std::string> args;  // [KIND] NAME, or KIND/NAME
  std::vector<std::string> files;
  std::string output;
  std::string instance;
  int32_t replicas = -1;
  int64_t revision = 0;
  int64_t timeout_seconds = 0;
  bool follow = false;
  bool all_namespaces = false;
  bool no_watch = false;
};

void AddConnectionFlags(CLI::App& command, ConnectionFlags& flags) {
  if (kubectl_plugin) {
    command.add_option("--kubeconfig", flags.kubeconfig,
                       "The kubeconfig (default $KUBECONFIG, then ~/.kube/config)");
    command.add_option("--context", flags.context, "The kubeconfig context");
    command.add_option("-n,--namespace", flags.ns, "Namespace (default: the context's)");
    command.add_option("--controller", flags.controller,
                       "The controller's API, for uploads and logs (default "
                       "$NANOPLANE_CONTROLLER, else kubectl port-forward to "
                       "svc/nanoplane-controller)");
    command.add_option("--controller-namespace", flags.controller_namespace,
                       "The namespace of the controller's Service, for the port-forward")
        ->capture_default_str();
    return;
  }
  command.add_option("--controller", flags.controller,
                     "Controller address (default $NANOPLANE_CONTROLLER, the config file's "
                     "controller:, or 127.0.0.1:7443)");
  command.add_option("-n,--namespace", flags.ns, "Namespace (default: default)");
}

enum class Served { kByStore, kByController };

// Runs `run` against the controller; a non-zero exit code becomes CLI11's. As
// a kubectl plugin, against the cluster's API server, or (kByController, for
// what only the controller has) the controller's own API.
void Run(const ConnectionFlags& flags, const std::function<int(const CommandContext&)>& run,
         Served served = Served::kByStore) {
  std::unique_ptr<apiv1::Controller::StubInterface> stub;
  std::unique_ptr<KubeBackend> backend;
  std::string ns = flags.ns.empty() ? "default" : flags.ns;
  if (kubectl_plugin) {
    absl::StatusOr<std::unique_ptr<KubeBackend>> opened =
        OpenKubeBackend({.kubeconfig = flags.kubeconfig,
                         .context = flags.context,
                         .controller = flags.controller,
                         .controller_namespace = flags.controller_namespace});
    if (!opened.ok()) {
      std::cerr << "error: " << opened.status().message() << "\n";
      throw CLI::RuntimeError(1);
    }
    backend = *std::move(opened);
    ns = flags.ns.empty() ? backend->default_namespace() : flags.ns;
  } else {
    stub = ConnectController(ResolveControllerAddress(flags.controller));
  }
  apiv1::Controller::StubInterface* target = backend ? &backend->stub() : stub.get();
  if (backend && served == Served::kByController) {
    absl::StatusOr<apiv1::Controller::StubInterface*> controller = backend->controller();
    if (!controller.ok()) {
      std::cerr << "error: " << controller.status().message() << "\n";
      throw CLI::RuntimeError(1);
    }
    target = *controller;
  }
  CommandContext context{.stub = *target, .ns = ns, .out = std::cout, .err = std::cerr};
  int code = run(context);
  std::cout.flush();
  if (code != 0) {
    throw CLI::RuntimeError(code);
  }
}

// "web", "unikernel web", "uk/web" -> "web"; empty when the kind is not a Unikernel.
std::string UnikernelName(const std::vector<std::string>& args) {
  auto is_kind = [](const std::string& kind) {
    return kind == "unikernel" || kind == "unikernels" || kind == "uk";
  };
  if (args.size() == 2) {
    return is_kind(args[0]) ? args[1] : "";
  }
  if (args.size() != 1) {
    return "";
  }
  size_t slash = args[0].find('/');
  if (slash == std::string::npos) {
    return args[0];
  }
  return is_kind(args[0].substr(0, slash)) ? args[0].substr(slash + 1) : "";
}

std::string RequireName(const CommandFlags& flags, const std::string& command) {
  std::string name = UnikernelName(flags.args);
  if (name.empty()) {
    throw CLI::ValidationError(command, "expected unikernel NAME (or NAME, uk/NAME)");
  }
  return name;
}

void RegisterApplyGet(CLI::App& app) {
  auto flags = std::make_shared<CommandFlags>();
  auto* apply = app.add_subcommand("apply", "Create or update Unikernels from manifests");
  apply->add_option("-f,--filename", flags->files, "Manifest files or directories")->required();
  AddConnectionFlags(*apply, flags->connection);
  apply->callback([flags, apply] {
    std::optional<std::string> ns;
    if (apply->count("-n") > 0) {
      ns = flags->connection.ns;
    }
    Run(flags->connection, [&](const CommandContext& c) { return RunApply(c, flags->files, ns); });
  });

  auto get_flags = std::make_shared<CommandFlags>();
  auto* get = app.add_subcommand("get", "List unikernels, instances or hosts");
  get->add_option("args", get_flags->args, "unikernels|uk|instances|hosts [NAME]")->required();
  get->add_option("-o,--output", get_flags->output, "wide, yaml or json")
      ->check(CLI::IsMember({"wide", "yaml", "json"}));
  AddConnectionFlags(*get, get_flags->connection);
  get->callback([get_flags] {
    const auto& args = get_flags->args;
    GetOutput output = get_flags->output == "wide"   ? GetOutput::kWide
                       : get_flags->output == "yaml" ? GetOutput::kYaml
                       : get_flags->output == "json" ? GetOutput::kJson
                                                     : GetOutput::kTable;
    std::string what = args[0], name = args.size() > 1 ? args[1] : "";
    if (size_t slash = what.find('/'); slash != std::string::npos) {
      name = what.substr(slash + 1);
      what = what.substr(0, slash);
    }
    Run(get_flags->connection,
        [&](const CommandContext& c) { return RunGet(c, what, name, output); });
  });
}

void RegisterObjectVerbs(CLI::App& app) {
  auto flags = std::make_shared<CommandFlags>();
  auto* describe = app.add_subcommand("describe", "Show a Unikernel in detail");
  describe->add_option("args", flags->args, "unikernel NAME")->required();
  AddConnectionFlags(*describe, flags->connection);
  describe->callback([flags] {
    std::string name = RequireName(*flags, "describe");
    Run(flags->connection, [&](const CommandContext& c) { return RunDescribe(c, name); });
  });

  auto del_flags = std::make_shared<CommandFlags>();
  auto* del = app.add_subcommand("delete", "Delete Unikernels (by name or from manifests)");
  del->add_option("args", del_flags->args, "unikernel NAME");
  del->add_option("-f,--filename", del_flags->files, "Delete the Unikernels of these manifests");
  AddConnectionFlags(*del, del_flags->connection);
  del->callback([del_flags] {
    std::string name = del_flags->files.empty() ? RequireName(*del_flags, "delete") : "";
    Run(del_flags->connection,
        [&](const CommandContext& c) { return RunDelete(c, name, del_flags->files); });
  });

  auto scale_flags = std::make_shared<CommandFlags>();
  auto* scale = app.add_subcommand("scale", "Set a Unikernel's number of replicas");
  scale->add_option("args", scale_flags->args, "unikernel NAME")->required();
  scale->add_option("--replicas", scale_flags->replicas, "Number of instances")->required();
  AddConnectionFlags(*scale, scale_flags->connection);
  scale->callback([scale_flags] {
    std::string name = RequireName(*scale_flags, "scale");
    Run(scale_flags->connection,
        [&](const CommandContext& c) { return RunScale(c, name, scale_flags->replicas); });
  });
}

void RegisterRollout(CLI::App& app) {
  auto* rollout = app.add_subcommand("rollout", "Manage the rollout of a Unikernel");
  rollout->require_subcommand(1);
  const std::vector<std::pair<std::string, std::string>> verbs = {
      {"status", "Watch the rollout until it completes (exit 1 when it fails)"},
      {"history", "List the revisions"},
      {"undo", "Go back to the previous (or --to-revision) revision"},
      {"pause", "Pause the rollout"},
      {"resume", "Resume a paused rollout"},
      {"restart", "Replace every instance"}};
  for (const auto& [verb, help] : verbs) {
    auto flags = std::make_shared<CommandFlags>();
    auto* command = rollout->add_subcommand(verb, help);
    command->add_option("args", flags->args, "unikernel NAME")->required();
    if (verb == "undo") {
      command->add_option("--to-revision", flags->revision, "Revision to go back to");
    } else if (verb == "history" || verb == "status") {
      command->add_option("--revision", flags->revision, "Only this revision");
    }
    if (verb == "status") {
      command->add_flag("--no-watch", flags->no_watch, "Print the status once");
      command->add_option("--timeout", flags->timeout_seconds, "Give up after SECONDS (0: never)");
    }
    AddConnectionFlags(*command, flags->connection);
    command->callback([flags, verb = verb] {
      RolloutOptions options{.verb = verb,
                             .name = RequireName(*flags, "rollout " + verb),
                             .revision = flags->revision,
                             .watch = !flags->no_watch,
                             .timeout = std::chrono::seconds(flags->timeout_seconds)};
      Run(flags->connection, [&](const CommandContext& c) { return RunRollout(c, options); });
    });
  }
}

void RegisterLogsEvents(CLI::App& app) {
  auto flags = std::make_shared<CommandFlags>();
  auto* logs = app.add_subcommand("logs", "Print an instance's console log");
  logs->add_option("args", flags->args, "NAME (a Unikernel)")->required();
  logs->add_option("--instance", flags->instance, "The instance (default: the first)");
  logs->add_flag("-f,--follow", flags->follow, "Keep printing new output");
  AddConnectionFlags(*logs, flags->connection);
  logs->callback([flags] {
    std::string name = RequireName(*flags, "logs");
    Run(flags->connection,
        [&](const CommandContext& c) { return RunLogs(c, name, flags->instance, flags->follow); },
        Served::kByController);
  });

  auto event_flags = std::make_shared<CommandFlags>();
  auto* events = app.add_subcommand("events", "List recent events");
  events->add_flag("-A,--all-namespaces", event_flags->all_namespaces, "Every namespace");
  AddConnectionFlags(*events, event_flags->connection);
  events->callback([event_flags] {
    Run(event_flags->connection,
        [&](const CommandContext& c) { return RunEvents(c, event_flags->all_namespaces); });
  });
}

}  // namespace

void SetKubectlPlugin(bool plugin) { kubectl_plugin = plugin; }

void RegisterControllerCommands(CLI::App& app) {
  RegisterApplyGet(app);
  RegisterObjectVerbs(app);
  RegisterRollout(app);
  RegisterLogsEvents(app);
}

}  // namespace nanoplane::cli
