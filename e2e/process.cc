#include "e2e/process.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/strings.h"
#include "common/testing/net_wait.h"

namespace nanoplane::e2e {
namespace {

namespace fs = std::filesystem;

// In the child, between fork and exec: only async-signal-safe calls.
[[noreturn]] void ExecChild(const std::vector<char*>& argv, int log_fd, pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) {  // the parent died before prctl
    _exit(127);
  }
  dup2(log_fd, STDOUT_FILENO);
  dup2(log_fd, STDERR_FILENO);
  int null = open("/dev/null", O_RDONLY);
  dup2(null, STDIN_FILENO);
  // The test blocks no signals, but gtest's death tests or a runner might.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execvp(argv[0], argv.data());
  const char message[] = "exec failed\n";
  (void)!write(STDERR_FILENO, message, sizeof(message) - 1);
  _exit(127);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Process>> Process::Start(std::vector<std::string> argv,
                                                        std::string log_path) {
  if (argv.empty()) {
    return absl::InvalidArgumentError("no argv");
  }
  int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::InternalError(StrCat("open ", log_path));
  }
  std::vector<char*> args;
  for (std::string& arg : argv) {
    args.push_back(arg.data());
  }
  args.push_back(nullptr);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    ExecChild(args, log_fd, parent);
  }
  close(log_fd);
  if (pid < 0) {
    return absl::InternalError(StrCat("fork ", argv[0]));
  }
  return std::unique_ptr<Process>(new Process(pid, std::move(log_path)));
}

Process::~Process() { Kill9(); }

int Process::Reap(bool block) {
  if (exited_) {
    return exit_code_;
  }
  int status = 0;
  pid_t done = waitpid(pid_, &status, block ? 0 : WNOHANG);
  if (done == pid_) {
    exited_ = true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  return exit_code_;
}

bool Process::Running() {
  Reap(false);
  return !exited_;
}

void Process::Kill9() {
  if (!Running()) {
    return;
  }
  kill(pid_, SIGKILL);
  Reap(true);
}

int Process::Terminate(absl::Duration timeout) {
  if (Running()) {
    kill(pid_, SIGTERM);
    if (!test_support::WaitFor([&] { return !Running(); }, timeout, absl::Milliseconds(10))) {
      Kill9();
    }
  }
  return exit_code_;
}

std::string Process::Output() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<std::string> Process::WaitForOutput(std::string_view text, absl::Duration timeout) {
  std::string line;
  const bool found = test_support::WaitFor(
      [&] {
        std::istringstream output(Output());
        while (std::getline(output, line)) {
          if (line.find(text) != std::string::npos) {
            return true;
          }
        }
        return !Running();
      },
      timeout, absl::Milliseconds(10));
  if (found && line.find(text) != std::string::npos) {
    return line;
  }
  std::string output = Output();
  std::string tail = output.substr(output.size() > 2000 ? output.size() - 2000 : 0);
  return found ? absl::AbortedError(
                     StrCat("exited (", exit_code_, ") before \"", text, "\"; output:\n", tail))
               : absl::DeadlineExceededError(
                     StrCat("no \"", text, "\" in ", log_path_, "; output:\n", tail));
}

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout) {
  static std::atomic<int> counter = 0;
  const std::string log =
      (fs::temp_directory_path() / StrCat("np-e2e-cmd-", getpid(), "-", counter++)).string();
  absl::StatusOr<std::unique_ptr<Process>> process = Process::Start(argv, log);
  if (!process.ok()) {
    return process.status();
  }
  test_support::WaitFor([&] { return !(*process)->Running(); }, timeout, absl::Milliseconds(2));
  (*process)->Kill9();  // no-op when it has exited
  CommandResult result{.exit_code = (*process)->Terminate(), .output = (*process)->Output()};
  std::error_code ec;
  fs::remove(log, ec);
  return result;
}

std::string MakeTempDir(std::string_view prefix) {
  std::string pattern = (fs::temp_directory_path() / StrCat(prefix, "-XXXXXX")).string();
  const char* dir = mkdtemp(pattern.data());
  return dir ? std::string(dir) : "";
}

}  // namespace nanoplane::e2e
