#include "common/kube/token_source.h"

#include <sys/stat.h>
#include <sys/time.h>

#include <filesystem>

#include "common/kube/test_certs.h"
#include "gtest/gtest.h"

namespace nanoplane::kube {
namespace {

using test::WriteFile;

// Sets the file's mtime, so that a rewrite within one clock tick still counts
// as the same one or a new one as the test wants.
void SetMtime(const std::string& path, int64_t seconds) {
  timeval times[2] = {{seconds, 0}, {seconds, 0}};
  ::utimes(path.c_str(), times);
}

class FileTokenSourceTest : public ::testing::Test {
 protected:
  void SetUp() override { path_ = test::TempDir("token") + "/token"; }
  void TearDown() override { std::filesystem::remove_all(std::filesystem::path(path_).parent_path()); }

  std::string path_;
  absl::Time now_ = absl::FromUnixSeconds(1000);
};

TEST_F(FileTokenSourceTest, ReadsAndTrimsTheToken) {
  WriteFile(path_, "abc\n");
  FileTokenSource source(path_, absl::Minutes(1), [&] { return now_; });
  EXPECT_EQ(*source.Token(), "abc");
}

TEST_F(FileTokenSourceTest, RereadsWhenTheFileChanges) {
  WriteFile(path_, "old");
  SetMtime(path_, 100);
  FileTokenSource source(path_, absl::Minutes(1), [&] { return now_; });
  EXPECT_EQ(*source.Token(), "old");
  WriteFile(path_, "new");  // the kubelet's rotation: a new mtime
  SetMtime(path_, 200);
  EXPECT_EQ(*source.Token(), "new");
}

TEST_F(FileTokenSourceTest, RereadsAfterThePeriodEvenWithTheSameStamp) {
  WriteFile(path_, "aaa");
  SetMtime(path_, 100);
  FileTokenSource source(path_, absl::Minutes(1), [&] { return now_; });
  EXPECT_EQ(*source.Token(), "aaa");
  WriteFile(path_, "bbb");  // same size, and the same mtime: only time tells
  SetMtime(path_, 100);
  now_ += absl::Seconds(30);
  EXPECT_EQ(*source.Token(), "aaa");
  now_ += absl::Seconds(31);
  EXPECT_EQ(*source.Token(), "bbb");
}

TEST_F(FileTokenSourceTest, KeepsTheLastGoodTokenWhenTheFileGoes) {
  WriteFile(path_, "good");
  FileTokenSource source(path_, absl::Minutes(1), [&] { return now_; });
  EXPECT_EQ(*source.Token(), "good");
  std::filesystem::remove(path_);
  now_ += absl::Minutes(5);
  EXPECT_EQ(*source.Token(), "good");
}

TEST_F(FileTokenSourceTest, NeverReadIsUnauthenticatedWithoutTheContent) {
  FileTokenSource source(path_, absl::Minutes(1), [&] { return now_; });
  EXPECT_EQ(source.Token().status(),
            absl::UnauthenticatedError("the token file " + path_ + " cannot be read or is empty"));
}

}  // namespace
}  // namespace nanoplane::kube
