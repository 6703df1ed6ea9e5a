#include "cli/controller_client.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/yaml_json.h"

namespace nanoplane::cli {
namespace {

std::string DefaultConfigFile() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/nanoplane/config.yaml";
  }
  const char* home = std::getenv("HOME");
  return home == nullptr ? "" : std::string(home) + "/.config/nanoplane/config.yaml";
}

// `controller:` of the config file; empty when there is none or it is unreadable.
std::string ControllerFromConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return "";
  }
  std::stringstream text;
  text << in.rdbuf();
  auto documents = ParseYamlDocuments(text.str());
  if (!documents.ok() || documents->empty() || !(*documents)[0].ok()) {
    return "";
  }
  const Json& config = *(*documents)[0];
  if (!config.is_object() || !config.contains("controller") || !config["controller"].is_string()) {
    return "";
  }
  return config["controller"].get<std::string>();
}

}  // namespace

std::string ResolveControllerAddress(const std::string& flag, const std::string& config_file) {
  if (!flag.empty()) {
    return flag;
  }
  if (const char* env = std::getenv("NANOPLANE_CONTROLLER"); env != nullptr && *env != '\0') {
    return env;
  }
  std::string configured =
      ControllerFromConfig(config_file.empty() ? DefaultConfigFile() : config_file);
  return configured.empty() ? kDefaultController : configured;
}

std::unique_ptr<apiv1::Controller::Stub> ConnectController(const std::string& address) {
  return apiv1::Controller::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

std::unique_ptr<grpc::ClientContext> UnaryContext(const CommandContext& context) {
  auto client = std::make_unique<grpc::ClientContext>();
  client->set_deadline(std::chrono::system_clock::now() + context.timeout);
  return client;
}

int Fail(const CommandContext& context, const grpc::Status& status) {
  context.err << "error: " << status.error_message() << "\n";
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    context.err << "(is the controller running? set --controller, $NANOPLANE_CONTROLLER or "
                   "controller: in ~/.config/nanoplane/config.yaml)\n";
  }
  return 1;
}

int Fail(const CommandContext& context, const absl::Status& status) {
  context.err << "error: " << status.message() << "\n";
  return 1;
}

}  // namespace nanoplane::cli
