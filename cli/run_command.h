#pragma once

#include "CLI/CLI.hpp"

namespace nanoplane::cli {

// `nanoplane run PROGRAM [build flags] [-p PORT]...`: builds the image, boots it
// as a transient VM through the agent's libvirt driver with the console in the
// foreground, and exits with the guest's exit code; Ctrl-C stops and removes
// the VM. What `ops run` does.
void RegisterRunCommand(CLI::App& app);

}  // namespace nanoplane::cli
