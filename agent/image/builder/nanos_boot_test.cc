// Boots images made by the builder on a real Nanos kernel under QEMU (TCG where
// KVM cannot run guests). Needs a Nanos release: set NANOS_RELEASE_DIR to a
// directory holding kernel.img, boot.img and klibs/; skipped otherwise.
//
// Each program's manifest sets debug_exit, so QEMU exits with (code << 1) | 1
// when the program does.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent/image/builder/image_builder.h"
#include "agent/image/builder/package.h"
#include "common/testing/net_wait.h"

namespace nanoplane::image {
namespace {

using ::nanoplane::test_support::FreePort;
using ::nanoplane::test_support::HttpGet;

namespace fs = std::filesystem;

struct Boot {
  int exit_code = -1;  // QEMU's; -1 when killed at the timeout
  std::string console;
};

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class NanosBootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* release = std::getenv("NANOS_RELEASE_DIR");
    if (release == nullptr || *release == '\0') {
      GTEST_SKIP() << "NANOS_RELEASE_DIR is unset: no Nanos release to boot (set it to a "
                      "directory holding kernel.img, boot.img and klibs/)";
    }
    dir_ = fs::path(::testing::TempDir()) /
           ("boot-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    releases_ = std::make_unique<ReleaseStore>(
        ReleaseStoreOptions{.release_dir = release, .url_template = ""}, nullptr);
    cache_ = std::make_unique<ImageCache>(ImageCacheOptions{.dir = (dir_ / "images").string()});
    builder_ = std::make_unique<ImageBuilder>(*releases_, *cache_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Compile(const std::string& name, const std::string& source,
                      const std::string& flags) {
    fs::path c = dir_ / (name + ".c");
    std::ofstream(c) << source;
    std::string out = (dir_ / name).string();
    std::string command = "cc " + flags + " -o " + out + " " + c.string();
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    return out;
  }

  std::string BuildImage(BuildRequest request) {
    request.nanos_version = "0.1.54";
    request.manifest.Set("debug_exit", Value("t"));
    auto image = builder_->Build(request);
    EXPECT_TRUE(image.ok()) << image.status();
    return image.ok() ? image->path : "";
  }

  // Boots a copy of the image (booting writes the disk) and waits for QEMU to
  // exit, or for `until` to say stop.
  Boot Run(const std::string& image, int host_port = 0,
           const std::function<bool()>& until = nullptr, int timeout_seconds = 90) {
    fs::path disk = dir_ / "disk.img";
    fs::copy_file(image, disk, fs::copy_options::overwrite_existing);
    fs::path console = dir_ / "console.log";
    std::vector<std::string> args = {"qemu-system-x86_64",
                                     "-machine",
                                     "q35",
                                     "-accel",
                                     "tcg",
                                     "-m",
                                     "512",
                                     "-display",
                                     "none",
                                     "-no-reboot",
                                     "-serial",
                                     "file:" + console.string(),
                                     "-drive",
                                     "if=none,id=hd0,format=raw,file=" + disk.string(),
                                     "-device",
                                     "virtio-scsi-pci,id=scsi0",
                                     "-device",
                                     "scsi-hd,bus=scsi0.0,drive=hd0",
                                     "-device",
                                     "isa-debug-exit"};
    if (host_port != 0) {
      args.insert(
          args.end(),
          {"-netdev",
           "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:" + std::to_string(host_port) + "-:8080",
           "-device", "virtio-net-pci,netdev=n0"});
    }
    pid_t pid = ::fork();
    if (pid == 0) {
      std::vector<char*> argv;
      for (auto& arg : args) {
        argv.push_back(arg.data());
      }
      argv.push_back(nullptr);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    Boot boot;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        boot.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        boot.console = ReadAll(console);
        return boot;
      }
      if (until && until()) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    boot.console = ReadAll(console);
    return boot;
  }

  // Packages a host interpreter, or skips when it is not installed.
  std::string Interpreter(const std::string& program, const std::vector<std::string>& dirs) {
    if (!fs::exists(program)) {
      return "";
    }
    std::vector<std::string> present;
    for (const std::string& dir : dirs) {
      if (fs::is_directory(dir)) {
        present.push_back(dir);
      }
    }
    auto package = PackageFromHost({.program = program, .dirs = present}, (dir_ / "pkg").string());
    EXPECT_TRUE(package.ok()) << package.status();
    return package.ok() ? *package : "";
  }

  fs::path dir_;
  std::unique_ptr<ReleaseStore> releases_;
  std::unique_ptr<ImageCache> cache_;
  std::unique_ptr<ImageBuilder> builder_;
};

constexpr const char* kHello = R"(#include <stdio.h>
#include <stdlib.h>
int main(int argc, char** argv) {
  printf("hello:");
  for (int i = 0; i < argc; i++) printf(" %s", argv[i]);
  printf(" GREETING=%s\n", getenv("GREETING"));
  return 3;
}
)";

TEST_F(NanosBootTest, StaticCPrintsItsArgumentsAndEnvironmentAndExits) {
  std::string hello = Compile("hello", kHello, "-static");
  Boot boot = Run(BuildImage({.program = "/hello",
                              .program_source = hello,
                              .args = {"a", "b"},
                              .env = {{"GREETING", "hi"}}}));
  EXPECT_NE(boot.console.find("hello: hello a b GREETING=hi"), std::string::npos) << boot.console;
  EXPECT_EQ(boot.exit_code, (3 << 1) | 1);
}

TEST_F(NanosBootTest, DynamicCRunsWithItsLibraries) {
  std::string hello = Compile("dynhello", kHello, "");
  Boot boot = Run(BuildImage({.program = "/bin/dynhello",
                              .program_source = hello,
                              .args = {"x"},
                              .env = {{"GREETING", "dyn"}}}));
  EXPECT_NE(boot.console.find("hello: dynhello x GREETING=dyn"), std::string::npos) << boot.console;
  EXPECT_EQ(boot.exit_code, (3 << 1) | 1);
}

std::string GoBuild(const fs::path& dir, const std::string& name, const std::string& source) {
  if (std::system("command -v go > /dev/null") != 0) {
    return "";
  }
  fs::path file = dir / (name + ".go");
  std::ofstream(file) << source;
  std::string out = (dir / name).string();
  std::string command = "cd " + dir.string() + " && GOCACHE=" + (dir / "gocache").string() +
                        " GO111MODULE=off CGO_ENABLED=0 go build -o " + out + " " + file.string();
  return std::system(command.c_str()) == 0 ? out : "";
}

TEST_F(NanosBootTest, GoProgramRuns) {
  std::string program = GoBuild(dir_, "gohello", R"(package main
import ("fmt"; "os")
func main() { fmt.Println("hello from go", len(os.Args)); os.Exit(5) })");
  if (program.empty()) {
    GTEST_SKIP() << "go is not installed";
  }
  Boot boot = Run(BuildImage({.program = "/gohello", .program_source = program}));
  EXPECT_NE(boot.console.find("hello from go 1"), std::string::npos) << boot.console;
  EXPECT_EQ(boot.exit_code, (5 << 1) | 1);
}

TEST_F(NanosBootTest, HttpServerAnswersThroughAPortForward) {
  std::string program = GoBuild(dir_, "web", R"(package main
import ("fmt"; "net/http")
func main() {
  http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "hello from nanos") })
  http.ListenAndServe(":8080", nil)
})");
  if (program.empty()) {
    GTEST_SKIP() << "go is not installed";
  }
  int port = FreePort();
  std::string response;
  Run(BuildImage({.program = "/web", .program_source = program}), port,
      [&] { return (response = HttpGet(port)).find("hello from nanos") != std::string::npos; });
  EXPECT_NE(response.find("200 OK"), std::string::npos) << response;
  EXPECT_NE(response.find("hello from nanos"), std::string::npos) << response;
}

struct InterpreterCase {
  const char* name;
  const char* program;
  std::vector<std::string> dirs;
  std::vector<std::string> args;
  const char* expected;
};

void PrintTo(const InterpreterCase& c, std::ostream* os) { *os << c.name; }

class InterpreterBootTest : public NanosBootTest,
                            public ::testing::WithParamInterface<InterpreterCase> {};

TEST_P(InterpreterBootTest, ScriptPrintsThroughAPackageMadeFromTheHost) {
  const InterpreterCase& c = GetParam();
  std::string package = Interpreter(c.program, c.dirs);
  if (package.empty()) {
    GTEST_SKIP() << c.program << " is not installed";
  }
  Boot boot = Run(BuildImage({.program = c.program, .args = c.args, .packages = {package}}));
  EXPECT_NE(boot.console.find(c.expected), std::string::npos) << boot.console;
}

INSTANTIATE_TEST_SUITE_P(
    Languages, InterpreterBootTest,
    ::testing::Values(
        InterpreterCase{"python",
                        "/usr/bin/python3",
                        {"/usr/lib/python3.11"},
                        {"-c", "print('python says', 6 * 7)"},
                        "python says 42"},
        InterpreterCase{
            "node", "/usr/bin/node", {}, {"-e", "console.log('node says', 6 * 7)"}, "node says 42"},
        InterpreterCase{"perl",
                        "/usr/bin/perl",
                        {"/usr/lib/x86_64-linux-gnu/perl-base", "/usr/share/perl/5.36",
                         "/usr/lib/x86_64-linux-gnu/perl/5.36"},
                        {"-e", "print 'perl says ', 6 * 7, qq{\\n}"},
                        "perl says 42"},
        InterpreterCase{
            "lua", "/usr/bin/lua5.4", {}, {"-e", "print('lua says', 6 * 7)"}, "lua says\t42"},
        InterpreterCase{"ruby",
                        "/usr/bin/ruby",
                        {"/usr/lib/ruby", "/usr/lib/x86_64-linux-gnu/ruby"},
                        {"-e", "puts \"ruby says #{6 * 7}\""},
                        "ruby says 42"},
        InterpreterCase{"php",
                        "/usr/bin/php8.2",
                        {},
                        {"-r", "echo 'php says ', 6 * 7, PHP_EOL;"},
                        "php says 42"}),
    [](const ::testing::TestParamInfo<InterpreterCase>& info) {
      return std::string(info.param.name);
    });

}  // namespace
}  // namespace nanoplane::image
