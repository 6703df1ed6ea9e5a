#pragma once

#include "CLI/CLI.hpp"

namespace nanoplane::cli {

// `nanoplane build PROGRAM [flags]` and `nanoplane build -f unikernel.yaml`: makes a
// bootable Nanos image, like `ops build`.
void RegisterBuildCommand(CLI::App& app);

// `nanoplane image ls|cat|manifest IMAGE ...`: reads an image's filesystems.
void RegisterImageCommands(CLI::App& app);

// `nanoplane pkg from-host PROGRAM [--dir DIR]...`: packages a host interpreter.
void RegisterPkgCommands(CLI::App& app);

}  // namespace nanoplane::cli
