#pragma once

#include "CLI/CLI.hpp"

namespace nanoplane::cli {

// `nanoplane up`: the controller and a local agent in one process, with the
// embedded store, listening on loopback only.
void RegisterUpCommand(CLI::App& app);

}  // namespace nanoplane::cli
