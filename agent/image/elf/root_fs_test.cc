#include "agent/image/elf/root_fs.h"

#include <filesystem>

#include "agent/image/elf/test_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nanoplane::image {
namespace {

using ::nanoplane::image::testing::TempDir;
using ::nanoplane::image::testing::WriteFileOrDie;
using ::testing::ElementsAre;

namespace fs = std::filesystem;

// A merged-/usr tree: /lib -> usr/lib, /lib64 -> /usr/lib (absolute, so it
// must stay inside the root), and a versioned library behind its soname.
class RootFsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(root_.path() + "/usr/lib");
    WriteFileOrDie(root_.path() + "/usr/lib/libx.so.1.2", "x");
    fs::create_symlink("libx.so.1.2", root_.path() + "/usr/lib/libx.so.1");
    fs::create_symlink("usr/lib", root_.path() + "/lib");
    fs::create_symlink("/usr/lib", root_.path() + "/lib64");
    fs::create_symlink("loop", root_.path() + "/loop");
  }

  TempDir root_;
  RootFs fs_{root_.path()};
};

TEST_F(RootFsTest, RecordsEveryLinkOnTheWay) {
  absl::StatusOr<ResolvedPath> resolved = fs_.Resolve("/lib/libx.so.1");
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->real_path, "/usr/lib/libx.so.1.2");
  EXPECT_TRUE(resolved->regular_file);
  EXPECT_THAT(resolved->links, ElementsAre(Symlink{"/lib", "usr/lib"},
                                           Symlink{"/usr/lib/libx.so.1", "libx.so.1.2"}));
}

TEST_F(RootFsTest, AbsoluteTargetsStayInsideTheRoot) {
  absl::StatusOr<ResolvedPath> resolved = fs_.Resolve("/lib64/../lib/./libx.so.1.2");
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->real_path, "/usr/lib/libx.so.1.2");
  EXPECT_EQ(fs_.HostPath(resolved->real_path), root_.path() + "/usr/lib/libx.so.1.2");
}

TEST_F(RootFsTest, MissingLoopingAndNotADirectory) {
  EXPECT_EQ(fs_.Resolve("/usr/lib/libnope.so").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(fs_.Resolve("/usr/lib/libx.so.1/x").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(fs_.Resolve("/loop").status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<ResolvedPath> dir = fs_.Resolve("/lib");
  ASSERT_TRUE(dir.ok());
  EXPECT_FALSE(dir->regular_file);
}

TEST(PathTest, JoinsAndSplits) {
  EXPECT_EQ(JoinPath("/a/", "b"), "/a/b");
  EXPECT_EQ(JoinPath("/", "b"), "/b");
  EXPECT_EQ(DirName("/a/b"), "/a");
  EXPECT_EQ(DirName("/a"), "/");
}

}  // namespace
}  // namespace nanoplane::image
