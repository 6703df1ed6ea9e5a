// `nanoplane run` as a user runs it: a static C HTTP server boots under TCG
// and answers on the printed address until Ctrl-C removes the VM; a program's
// exit code becomes nanoplane's. Needs NANOS_RELEASE_DIR and libvirtd
// (qemu:///system); skipped otherwise.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "absl/time/clock.h"
#include "agent/adapters/subprocess.h"
#include "common/strings.h"
#include "common/testing/net_wait.h"
#include "common/testing/require.h"
#include "gtest/gtest.h"

namespace nanoplane::cli {
namespace {

using ::nanoplane::test_support::HttpGet;

namespace fs = std::filesystem;
using agent::RunCommand;

constexpr char kServer[] = R"(#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET; a.sin_port = htons(8080); a.sin_addr.s_addr = INADDR_ANY;
  if (bind(s, (struct sockaddr*)&a, sizeof(a)) || listen(s, 16)) { return 1; }
  printf("np-run-test: listening\n"); fflush(stdout);
  for (;;) {
    char buf[1024]; int c = accept(s, 0, 0);
    if (c < 0) continue;
    read(c, buf, sizeof(buf));
    const char* r = "HTTP/1.0 200 OK\r\nContent-Length: 16\r\n\r\nhello from nanos\n";
    write(c, r, strlen(r)); close(c);
  }
})";

constexpr char kExit[] = "#include <stdio.h>\nint main(void){puts(\"bye\");return 3;}\n";

class RunCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("NANOS_RELEASE_DIR") == nullptr) {
      GTEST_SKIP() << "NANOS_RELEASE_DIR is not set: no Nanos release to boot";
    }
    NP_SKIP_UNLESS_LIBVIRTD();
    dir_ = StrCat(::testing::TempDir(), "/np-run-", getpid());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Compiles `source` statically into dir_/name.
  std::string Compile(const std::string& name, const std::string& source) {
    std::ofstream(StrCat(dir_, "/", name, ".c")) << source;
    absl::StatusOr<agent::CommandResult> cc = RunCommand(
        {"cc", "-static", "-O2", "-o", StrCat(dir_, "/", name), StrCat(dir_, "/", name, ".c")},
        absl::Seconds(60));
    EXPECT_TRUE(cc.ok() && cc->exit_code == 0) << (cc.ok() ? cc->output : "");
    return StrCat(dir_, "/", name);
  }

  // Starts `nanoplane run ARGS...` with stdout to a pipe; its pid.
  pid_t Start(const std::vector<std::string>& args, int& out) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      std::vector<char*> argv{const_cast<char*>(NP_NANOPLANE_BINARY), const_cast<char*>("run")};
      for (const std::string& arg : args) {
        argv.push_back(const_cast<char*>(arg.c_str()));
      }
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    out = fds[0];
    fcntl(out, F_SETFL, O_NONBLOCK);
    return pid;
  }

  std::string dir_;
};

int WaitExit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(RunCommandTest, StaticHttpServerAnswersOnThePrintedAddressUntilCtrlC) {
  const std::string server = Compile("httpd", kServer);
  int out = -1;
  const absl::Time start = absl::Now();
  pid_t pid = Start({server, "-p", "8080", "--accel", "tcg"}, out);
  std::string output;
  std::smatch match;
  const std::regex address("port 8080 -> http://127\\.0\\.0\\.1:([0-9]+)");
  int port = 0;
  std::string response;
  while (absl::Now() - start < absl::Seconds(120)) {
    char buffer[4096];
    ssize_t n = read(out, buffer, sizeof(buffer));
    if (n > 0) {
      output.append(buffer, static_cast<size_t>(n));
    }
    if (port == 0 && std::regex_search(output, match, address)) {
      port = std::stoi(match[1]);
    }
    if (port != 0 && (response = HttpGet(port)).find("hello from nanos") != std::string::npos) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  const absl::Duration ready = absl::Now() - start;
  ASSERT_NE(port, 0) << output;
  EXPECT_NE(response.find("200 OK"), std::string::npos) << output;
  std::printf("nanoplane run (tcg): start to HTTP answering %s\n",
              absl::FormatDuration(ready).c_str());

  kill(pid, SIGINT);
  EXPECT_EQ(WaitExit(pid), 130);
  char buffer[4096];
  ssize_t n;
  while ((n = read(out, buffer, sizeof(buffer))) > 0) {
    output.append(buffer, static_cast<size_t>(n));
  }
  close(out);
  EXPECT_NE(output.find("np-run-test: listening"), std::string::npos) << output;
  absl::StatusOr<agent::CommandResult> list =
      RunCommand({"virsh", "-c", "qemu:///system", "list", "--all", "--name"}, absl::Seconds(20));
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->output.find("run-httpd-"), std::string::npos) << list->output;
  EXPECT_TRUE(HttpGet(port).empty());
}

TEST_F(RunCommandTest, ExitsWithTheGuestsExitCode) {
  const std::string program = Compile("exit3", kExit);
  int out = -1;
  pid_t pid = Start({program, "--accel", "tcg"}, out);
  EXPECT_EQ(WaitExit(pid), 3);
  std::string output;
  char buffer[4096];
  ssize_t n;
  while ((n = read(out, buffer, sizeof(buffer))) > 0) {
    output.append(buffer, static_cast<size_t>(n));
  }
  close(out);
  EXPECT_NE(output.find("bye"), std::string::npos) << output;
}

}  // namespace
}  // namespace nanoplane::cli
