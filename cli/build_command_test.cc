// Runs the nanoplane binary as a user would, against a stand-in release.

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "agent/image/disk/fake_release.h"

namespace nanoplane::cli {
namespace {

namespace fs = std::filesystem;

struct Result {
  int code;
  std::string output;
};

Result Nanoplane(const std::string& args) {
  std::string command = std::string(NP_NANOPLANE_BINARY) + " " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string output;
  std::array<char, 4096> buffer;
  for (size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) {
    output.append(buffer.data(), n);
  }
  int status = ::pclose(pipe);
  return {WEXITSTATUS(status), output};
}

class BuildCommandTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) / ("cli-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    image::WriteFakeRelease((dir_ / "release").string());
    flags_ =
        " --nanos-dir " + (dir_ / "release").string() + " --cache-dir " + (dir_ / "cache").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string flags_;
};

TEST_F(BuildCommandTest, BuildsThenReadsBackAnImage) {
  std::string out = (dir_ / "ls.img").string();
  Result first = Nanoplane("build /bin/ls -a -l -e GREETING=hi --file /etc/hostname:/etc/name -o " +
                           out + flags_);
  ASSERT_EQ(first.code, 0) << first.output;
  EXPECT_NE(first.output.find("built in"), std::string::npos) << first.output;
  Result second =
      Nanoplane("build /bin/ls -a -l -e GREETING=hi --file /etc/hostname:/etc/name" + flags_);
  EXPECT_NE(second.output.find("cached in"), std::string::npos) << second.output;

  Result manifest = Nanoplane("image manifest " + out);
  EXPECT_NE(manifest.output.find("arguments:[ls -l]"), std::string::npos) << manifest.output;
  EXPECT_NE(manifest.output.find("GREETING:hi"), std::string::npos) << manifest.output;
  Result ls = Nanoplane("image ls " + out + " /etc");
  EXPECT_NE(ls.output.find("name"), std::string::npos) << ls.output;
  Result cat = Nanoplane("image cat " + out + " /etc/resolv.conf");
  EXPECT_EQ(cat.output, "nameserver 10.0.2.3\n");
  Result boot = Nanoplane("image ls --boot " + out + " /");
  EXPECT_NE(boot.output.find("kernel"), std::string::npos) << boot.output;
}

TEST_F(BuildCommandTest, BuildsFromAManifestWithSourcesRelativeToIt) {
  fs::create_directories(dir_ / "app");
  fs::copy_file("/bin/true", dir_ / "app/server");
  std::ofstream(dir_ / "app/web.yaml") << R"(apiVersion: nanoplane.dev/v1alpha1
kind: Unikernel
metadata: {name: web}
spec:
  template:
    image:
      program: /server
      source: {path: ./server}
      args: [--port, "8080"]
      files: [{path: /etc/motd, content: "hello\n"}]
)";
  Result result =
      Nanoplane("build -f " + (dir_ / "app/web.yaml").string() + " --print-manifest" + flags_);
  ASSERT_EQ(result.code, 0) << result.output;
  EXPECT_NE(result.output.find("arguments:[server --port 8080]"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("program:/server"), std::string::npos) << result.output;
}

TEST_F(BuildCommandTest, BadInputGetsAClearErrorAndNoImage) {
  Result missing = Nanoplane("build ./does-not-exist" + flags_);
  EXPECT_NE(missing.code, 0);
  EXPECT_NE(missing.output.find("does-not-exist"), std::string::npos) << missing.output;
  std::ofstream(dir_ / "not-elf") << "#!/bin/sh\n";
  Result script = Nanoplane("build " + (dir_ / "not-elf").string() + flags_);
  EXPECT_NE(script.code, 0);
  EXPECT_NE(script.output.find("not an ELF"), std::string::npos) << script.output;
  Result env = Nanoplane("build /bin/ls -e NOEQUALS" + flags_);
  EXPECT_NE(env.output.find("expected NAME=VALUE"), std::string::npos) << env.output;
}

}  // namespace
}  // namespace nanoplane::cli
