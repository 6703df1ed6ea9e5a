// nanoplane: the command line. Flag parsing and wiring only; the work is in the
// libraries.

#include <iostream>

#include "CLI/CLI.hpp"
#include "cli/build_command.h"
#include "cli/controller_commands.h"
#include "cli/kube_plugin.h"
#include "cli/run_command.h"
#include "cli/up_command.h"
#include "cli/validate_command.h"
#include "common/crd.h"

namespace {

constexpr const char* kVersion = "0.1.0";

}  // namespace

int main(int argc, char** argv) {
  using nanoplane::cli::OutputFormat;
  if (nanoplane::cli::IsKubectlPlugin(argv[0])) {
    // kubectl nanoplane ...: the controller commands, over the user's cluster.
    CLI::App plugin{"kubectl nanoplane: rollouts and instances of Unikernels, with your kubeconfig",
                    "kubectl nanoplane"};
    plugin.require_subcommand(1);
    nanoplane::cli::SetKubectlPlugin(true);
    nanoplane::cli::RegisterControllerCommands(plugin);
    CLI11_PARSE(plugin, argc, argv);
    return 0;
  }
  CLI::App app{"nanoplane: run Nanos unikernels on your own hosts, declaratively.", "nanoplane"};
  app.require_subcommand(1);
  app.set_version_flag("--version", kVersion);

  std::vector<std::string> validate_paths;
  std::string validate_output = "summary";
  auto* validate =
      app.add_subcommand("validate", "Check Unikernel manifests (files or directories)");
  validate->add_option("paths", validate_paths, "Manifest files or directories")->required();
  validate->add_option("-o,--output", validate_output, "summary, yaml or json (defaulted objects)")
      ->check(CLI::IsMember({"summary", "yaml", "json"}));

  auto* crd = app.add_subcommand(
      "crd", "Print the CustomResourceDefinitions (Unikernel, Host) for kubectl apply -f -");
  std::string crd_dir;
  crd->add_option("--dir", crd_dir, "Write each into its file in this directory instead (crds/)");

  nanoplane::cli::RegisterBuildCommand(app);
  nanoplane::cli::RegisterRunCommand(app);
  nanoplane::cli::RegisterImageCommands(app);
  nanoplane::cli::RegisterPkgCommands(app);
  nanoplane::cli::RegisterControllerCommands(app);
  nanoplane::cli::RegisterUpCommand(app);

  CLI11_PARSE(app, argc, argv);

  if (*validate) {
    OutputFormat format = validate_output == "yaml"   ? OutputFormat::kYaml
                          : validate_output == "json" ? OutputFormat::kJson
                                                      : OutputFormat::kSummary;
    return nanoplane::cli::RunValidate(validate_paths, format, std::cout, std::cerr);
  }
  if (*crd) {
    return nanoplane::cli::RunCrd(crd_dir, std::cout, std::cerr);
  }
  return 0;
}
