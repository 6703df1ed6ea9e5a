#pragma once

// Helpers for the np_image_elf tests: temporary directories, running the
// host toolchain (cc, go, ldd) and reading files.

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace nanoplane::image::testing {

// A fresh directory under $TMPDIR, removed with everything in it on scope exit.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `command` with /bin/sh.
CommandResult RunShell(const std::string& command);

// True when `tool` is on PATH.
bool HaveTool(const std::string& tool);

std::string ReadFileOrDie(const std::string& path);
void WriteFileOrDie(const std::string& path, const std::string& contents);

// Real paths of the files ldd says `program` loads, without linux-vdso;
// nullopt when ldd fails or reports a missing library.
std::optional<std::set<std::string>> LddRealPaths(const std::string& program,
                                                  const std::string& env_prefix = "");

// Compiles the C file `source` with `cc ... <flags>` in dir into dir/name; returns the
// output path, or the compiler's messages as the error.
absl::StatusOr<std::string> BuildC(const std::string& dir, const std::string& name,
                                   const std::string& source, const std::string& flags);

// A hello-world C program.
inline constexpr char kCHello[] =
    "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n";

// Builds a Go hello world into dir/hello with `go build`.
absl::StatusOr<std::string> BuildGoHello(const std::string& dir);

// `text` without leading and trailing whitespace.
std::string_view Trim(std::string_view text);

// Shell-quotes `text` with single quotes.
std::string ShellQuote(const std::string& text);

}  // namespace nanoplane::image::testing
