#include "agent/image/elf/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/strings.h"

namespace nanoplane::image::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "np_elf_XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string_view Trim(std::string_view text) {
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == text.npos) {
    return {};
  }
  return text.substr(start, text.find_last_not_of(" \t\r\n") - start + 1);
}

CommandResult RunShell(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    return result;
  }
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    result.output.append(buffer, n);
  }
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

bool HaveTool(const std::string& tool) {
  return RunShell("command -v " + ShellQuote(tool)).exit_code == 0;
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + path);
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

void WriteFileOrDie(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  if (!out) {
    throw std::runtime_error("cannot write " + path);
  }
}

std::optional<std::set<std::string>> LddRealPaths(const std::string& program,
                                                  const std::string& env_prefix) {
  CommandResult ldd = RunShell(env_prefix + " ldd " + ShellQuote(program));
  if (ldd.exit_code != 0 || ldd.output.find("not found") != std::string::npos) {
    return std::nullopt;
  }
  std::set<std::string> paths;
  for (std::string_view line : StrSplit(ldd.output, '\n')) {
    line = Trim(line);
    if (line.starts_with("linux-vdso") || line.find("statically linked") != line.npos) {
      continue;
    }
    size_t arrow = line.find("=> ");
    std::string_view path = arrow == line.npos ? line : line.substr(arrow + 3);
    path = path.substr(0, path.find(' '));
    if (path.starts_with('/')) {
      paths.insert(std::filesystem::canonical(std::string(path)).string());
    }
  }
  return paths;
}

absl::StatusOr<std::string> BuildC(const std::string& dir, const std::string& name,
                                   const std::string& source, const std::string& flags) {
  std::string source_path = dir + "/" + name + ".c";
  WriteFileOrDie(source_path, source);
  std::string out = dir + "/" + name;
  // Flags go last so that libraries among them follow the source.
  CommandResult cc = RunShell("cd " + ShellQuote(dir) + " && cc -o " + ShellQuote(out) + " " +
                              ShellQuote(source_path) + " " + flags);
  if (cc.exit_code != 0) {
    return absl::InternalError("cc " + flags + ": " + cc.output);
  }
  return out;
}

absl::StatusOr<std::string> BuildGoHello(const std::string& dir) {
  WriteFileOrDie(dir + "/go.mod", "module hello\n\ngo 1.19\n");
  WriteFileOrDie(dir + "/main.go",
                 "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hi\") }\n");
  // HOME only matters when unset: go needs somewhere for its build cache.
  CommandResult go = RunShell("cd " + ShellQuote(dir) + " && export HOME=${HOME:-" +
                              ShellQuote(dir) + "} && CGO_ENABLED=0 go build -o hello .");
  if (go.exit_code != 0) {
    return absl::InternalError("go build: " + go.output);
  }
  return dir + "/hello";
}

std::string ShellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return quoted + "'";
}

}  // namespace nanoplane::image::testing
