#pragma once

// Processes for end-to-end tests: the real binaries started with an argv,
// their stdout and stderr appended to a log file, waited on for a line of
// output, and killed with SIGKILL as a crash would.
//
// A child gets SIGKILL when the test process dies (PR_SET_PDEATHSIG), so a
// failed or aborted test leaves no controller or agent behind. Not
// thread-safe: one thread drives a Process.

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace nanoplane::e2e {

class Process {
 public:
  // Starts argv[0] (a path, or a name looked up in $PATH) with `argv`; output appended to
  // `log_path`. Internal when fork or exec fails (an exec failure shows in the log and as exit code
  // 127).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Process>> Start(std::vector<std::string> argv,
                                                                      std::string log_path);
  ~Process();  // SIGKILL if still running

  // SIGKILL, then reaps it.
  void Kill9();
  // SIGTERM, then waits up to `timeout` (SIGKILL after it); the exit code,
  // -1 when it was killed.
  int Terminate(absl::Duration timeout = absl::Seconds(10));
  bool Running();

  // Waits until the log holds `text`; the first line containing it.
  // DeadlineExceeded (with the log's tail) on timeout, Aborted when the
  // process exits first.
  [[nodiscard]] absl::StatusOr<std::string> WaitForOutput(std::string_view text,
                                                          absl::Duration timeout);
  std::string Output() const;
  const std::string& log_path() const { return log_path_; }
  pid_t pid() const { return pid_; }

 private:
  Process(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  int Reap(bool block);

  pid_t pid_;
  std::string log_path_;
  bool exited_ = false;
  int exit_code_ = -1;
};

struct CommandResult {
  int exit_code = -1;  // -1: killed (timeout)
  std::string output;  // stdout and stderr
};

// Runs a command to its end (SIGKILL after `timeout`).
[[nodiscard]] absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                                       absl::Duration timeout);

// A fresh directory under $TMPDIR for one test's data.
std::string MakeTempDir(std::string_view prefix);

}  // namespace nanoplane::e2e
