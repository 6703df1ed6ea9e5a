#pragma once

// What the CLI's controller commands share: where the controller is, the
// connection, the context every command runs in, and error reporting.

#include <chrono>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "nanoplane/api/v1/controller.grpc.pb.h"

namespace nanoplane::cli {

namespace apiv1 = ::nanoplane::api::v1;

inline constexpr char kDefaultController[] = "127.0.0.1:7443";

// The controller's address: `flag` when given, else $NANOPLANE_CONTROLLER, else
// `controller:` in `config_file` (default ~/.config/nanoplane/config.yaml, or
// under $XDG_CONFIG_HOME), else 127.0.0.1:7443.
std::string ResolveControllerAddress(const std::string& flag, const std::string& config_file = "");

std::unique_ptr<apiv1::Controller::Stub> ConnectController(const std::string& address);

// Everything a controller command needs; tests point it at an in-process server.
struct CommandContext {
  apiv1::Controller::StubInterface& stub;
  std::string ns = "default";
  std::ostream& out;
  std::ostream& err;
  // The per-call deadline of unary calls (streams have none).
  std::chrono::seconds timeout = std::chrono::seconds(30);
};

// A ClientContext with `context`'s deadline.
std::unique_ptr<grpc::ClientContext> UnaryContext(const CommandContext& context);

// Prints "error: MESSAGE" (with a hint when the controller is unreachable) and
// returns 1.
int Fail(const CommandContext& context, const grpc::Status& status);
int Fail(const CommandContext& context, const absl::Status& status);

}  // namespace nanoplane::cli
