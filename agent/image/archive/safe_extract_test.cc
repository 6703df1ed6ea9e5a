#include "agent/image/archive/safe_extract.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "agent/image/archive/test_tar.h"

namespace nanoplane::image {
namespace {

namespace fs = std::filesystem;

using Entry = TestTarEntry;

std::string WriteTar(const std::string& name, const std::vector<Entry>& entries) {
  std::string path = testing::TempDir() + "/" + name + ".tar.gz";
  WriteTestTar(path, entries);
  return path;
}

class SafeExtractTest : public testing::Test {
 protected:
  void SetUp() override {
    dest_ = fs::path(testing::TempDir()) /
            ("extract-" + std::to_string(::getpid()) + "-" +
             testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dest_);
    fs::create_directories(dest_);
  }
  void TearDown() override { fs::remove_all(dest_); }
  fs::path dest_;
};

TEST_F(SafeExtractTest, ExtractsFilesDirectoriesAndInsideSymlinks) {
  std::string tar = WriteTar("good", {{"./sysroot/", 'd', ""},
                                      {"sysroot/lib/libc.so.6", 'f', "ELF..."},
                                      {"sysroot/lib/libc.so", 'l', "libc.so.6"},
                                      {"sysroot/lib64/ld.so", 'l', "../lib/libc.so.6"},
                                      {"package.manifest", 'f', "{}"}});
  ASSERT_TRUE(ExtractArchive(tar, dest_.string()).ok());
  std::ifstream in(dest_ / "sysroot/lib64/ld.so");
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, "ELF...");
  EXPECT_TRUE(fs::is_symlink(dest_ / "sysroot/lib/libc.so"));
}

struct HostileCase {
  const char* name;
  std::vector<Entry> entries;
  const char* named;  // the entry the error must name
};

TEST_F(SafeExtractTest, RefusesEveryWayOut) {
  const std::vector<HostileCase> cases = {
      {"absolute", {{"/etc/passwd", 'f', "x"}}, "/etc/passwd"},
      {"dotdot", {{"a/../../evil", 'f', "x"}}, "a/../../evil"},
      {"abs-symlink", {{"lib", 'l', "/etc"}}, "lib"},
      {"climbing-symlink", {{"a/b", 'l', "../../etc"}}, "a/b"},
      {"symlink-through-name", {{"x", 'l', "a/b/z/../.."}}, "x"},
      {"write-through-symlink", {{"d", 'l', "."}, {"d/f", 'f', "x"}}, "d/f"},
      {"hard-link", {{"h", 'h', "/etc/shadow"}}, "h"},
  };
  for (const HostileCase& c : cases) {
    fs::path dest = dest_ / c.name;
    fs::create_directories(dest);
    absl::Status status = ExtractArchive(WriteTar(c.name, c.entries), dest.string());
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.name << ": " << status;
    EXPECT_NE(status.message().find(std::string("\"") + c.named + "\""), std::string::npos)
        << c.name << ": " << status;
  }
  EXPECT_FALSE(fs::exists(dest_.parent_path() / "evil"));
}

TEST_F(SafeExtractTest, EnforcesTheSizeLimit) {
  std::string tar = WriteTar("big", {{"big", 'f', std::string(4096, 'x')}});
  absl::Status status = ExtractArchive(tar, dest_.string(), {.max_total_bytes = 1000});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SafeExtractTest, CorruptOrMissingArchivesAreErrors) {
  std::string path = testing::TempDir() + "/garbage.tar.gz";
  std::ofstream(path) << "\x1f\x8b this is not gzip";
  EXPECT_FALSE(ExtractArchive(path, dest_.string()).ok());
  EXPECT_FALSE(ExtractArchive(path + ".missing", dest_.string()).ok());
}

TEST(SymlinkStaysInsideTest, ResolvesRelativeToTheLinksDirectory) {
  EXPECT_TRUE(SymlinkStaysInside("lib/a", "../b"));
  EXPECT_TRUE(SymlinkStaysInside("a", "b/c"));
  EXPECT_TRUE(SymlinkStaysInside("usr/lib/x/a", "../../../lib/y"));
  EXPECT_FALSE(SymlinkStaysInside("a", "../b"));
  EXPECT_FALSE(SymlinkStaysInside("a", "/b"));
  EXPECT_FALSE(SymlinkStaysInside("lib/a", "b/../../../c"));
}

}  // namespace
}  // namespace nanoplane::image
