#include "cli/port_forward.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/str_split.h"
#include "common/strings.h"

namespace nanoplane::cli {
namespace {

constexpr int kExecFailed = 127;
constexpr char kMarker[] = "Forwarding from 127.0.0.1:";

std::vector<std::string> KubectlArguments(const PortForwardOptions& options) {
  std::vector<std::string> args = {options.kubectl, "port-forward"};
  if (!options.kubeconfig.empty()) {
    args.push_back("--kubeconfig=" + options.kubeconfig);
  }
  if (!options.context.empty()) {
    args.push_back("--context=" + options.context);
  }
  args.insert(args.end(), {"--namespace=" + options.ns, "--address=127.0.0.1",
                           "svc/" + options.service, StrCat(":", options.port)});
  return args;
}

// Forks and execs `args` with stdout and stderr on a pipe; the read end in
// `output`.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& args, int& output) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(StrCat("pipe: ", strerror(errno)));
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return absl::InternalError(StrCat("fork: ", strerror(errno)));
  }
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    std::vector<char*> argv;
    for (const std::string& arg : args) {
      argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(kExecFailed);
  }
  close(fds[1]);
  output = fds[0];
  return pid;
}

// Returns the wait status.
int Stop(pid_t pid) {
  kill(pid, SIGTERM);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// Reads kubectl's output until the forwarded address appears. `seen` gathers
// what it printed, for the error when it exits instead.
absl::StatusOr<std::string> AwaitAddress(int output, absl::Duration timeout, std::string& seen) {
  absl::Time deadline = absl::Now() + timeout;
  std::string pending;
  char buffer[4096];
  while (true) {
    int wait_ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (wait_ms <= 0) {
      return absl::DeadlineExceededError(
          StrCat("nothing forwarded within ", absl::FormatDuration(timeout),
                 " (is a controller pod running behind the Service?)"));
    }
    pollfd readable{.fd = output, .events = POLLIN, .revents = 0};
    int ready = poll(&readable, 1, wait_ms);
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready <= 0) {
      continue;  // the deadline check above ends it
    }
    ssize_t n = read(output, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return absl::UnavailableError("kubectl exited");
    }
    pending.append(buffer, static_cast<size_t>(n));
    size_t newline;
    while ((newline = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      std::string address = ForwardedAddress(line);
      if (!address.empty()) {
        return address;
      }
      seen += line + "\n";
    }
  }
}

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

}  // namespace

std::string ForwardedAddress(const std::string& line) {
  size_t at = line.find(kMarker);
  if (at == std::string::npos) {
    return "";
  }
  size_t port_begin = at + sizeof(kMarker) - 1;
  size_t port_end = port_begin;
  while (port_end < line.size() && isdigit(static_cast<unsigned char>(line[port_end]))) {
    ++port_end;
  }
  if (port_end == port_begin) {
    return "";
  }
  return "127.0.0.1:" + line.substr(port_begin, port_end - port_begin);
}

absl::StatusOr<std::unique_ptr<PortForward>> PortForward::Start(const PortForwardOptions& options) {
  std::vector<std::string> args = KubectlArguments(options);
  int output = -1;
  absl::StatusOr<pid_t> pid = Spawn(args, output);
  if (!pid.ok()) {
    return pid.status();
  }
  std::string target = StrCat("svc/", options.service, " in namespace ", options.ns);
  std::string seen;
  absl::StatusOr<std::string> address = AwaitAddress(output, options.timeout, seen);
  if (!address.ok()) {
    int status = Stop(*pid);
    close(output);
    std::string said = Trimmed(seen);
    if (WIFEXITED(status) && WEXITSTATUS(status) == kExecFailed && said.empty()) {
      return absl::NotFoundError(
          StrCat("cannot run ", options.kubectl, " port-forward to ", target,
                 " (is kubectl installed? or pass --controller ADDR)"));
    }
    return absl::Status(address.status().code(),
                        StrCat("kubectl port-forward to ", target, " failed: ",
                               said.empty() ? address.status().message() : said,
                               "; or reach the controller with --controller ADDR"));
  }
  return std::unique_ptr<PortForward>(new PortForward(*pid, output, *std::move(address)));
}

PortForward::PortForward(pid_t pid, int output, std::string address)
    : pid_(pid), output_(output), address_(std::move(address)) {
  // kubectl prints a line per connection; a full pipe would block it.
  drain_ = std::thread([fd = output_] {
    char buffer[4096];
    while (true) {
      ssize_t n = read(fd, buffer, sizeof(buffer));
      if (n == 0 || (n < 0 && errno != EINTR)) {
        return;
      }
    }
  });
}

PortForward::~PortForward() {
  Stop(pid_);
  drain_.join();  // kubectl's exit closed the pipe's write end
  close(output_);
}

}  // namespace nanoplane::cli
