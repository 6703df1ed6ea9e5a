#include "agent/image/builder/image_builder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent/image/disk/bootable_disk.h"
#include "agent/image/disk/fake_release.h"
#include "agent/image/tfs/tfs_reader.h"

namespace nanoplane::image {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ImageBuilderTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           ("builder-" + std::to_string(::getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    WriteFakeRelease((dir_ / "release").string());
    releases_ = std::make_unique<ReleaseStore>(
        ReleaseStoreOptions{.release_dir = (dir_ / "release").string(), .url_template = ""},
        nullptr);
    cache_ = std::make_unique<ImageCache>(ImageCacheOptions{.dir = (dir_ / "images").string()});
    builder_ = std::make_unique<ImageBuilder>(*releases_, *cache_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  BuildRequest Hello() {
    BuildRequest request;
    request.program = "/ls";
    request.program_source = "/bin/ls";
    request.args = {"-l"};
    request.nanos_version = "0.1.54";
    request.klibs = {"tls"};
    return request;
  }

  fs::path dir_;
  std::unique_ptr<ReleaseStore> releases_;
  std::unique_ptr<ImageCache> cache_;
  std::unique_ptr<ImageBuilder> builder_;
};

TEST_F(ImageBuilderTest, BuildsABootableDiskHoldingTheProgramAndManifest) {
  auto image = builder_->Build(Hello());
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_FALSE(image->cache_hit);
  auto root = ReadPartition(image->path, 1);
  ASSERT_TRUE(root.ok());
  auto fs = TfsReader::OpenFile(image->path, root->offset, root->size);
  ASSERT_TRUE(fs.ok()) << fs.status();
  EXPECT_EQ(*(*fs)->ReadFile("/ls"), ReadAll(fs::canonical("/bin/ls")));
  EXPECT_EQ((*fs)->root().Find("program")->string(), "/ls");
  EXPECT_EQ((*fs)->root().Find("arguments")->vector().size(), 2u);
  auto boot = ReadPartition(image->path, 0);
  auto boot_fs = TfsReader::OpenFile(image->path, boot->offset, boot->size);
  ASSERT_TRUE(boot_fs.ok());
  EXPECT_EQ(*(*boot_fs)->ReadFile("/klib/tls"), "TLS klib");
  EXPECT_EQ((*boot_fs)->ReadFile("/kernel")->size(), 300u * 1024);
}

TEST_F(ImageBuilderTest, SameInputsAreACacheHitAndAChangeIsNot) {
  auto first = builder_->Build(Hello());
  auto second = builder_->Build(Hello());
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(second->cache_hit);
  EXPECT_EQ(second->path, first->path);
  BuildRequest changed = Hello();
  changed.env = {{"A", "b"}};
  auto third = builder_->Build(changed);
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third->cache_hit);
  EXPECT_NE(third->key, first->key);
}

TEST_F(ImageBuilderTest, ConcurrentBuildsOfOneImageBuildItOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> misses{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto image = builder_->Build(Hello());
      ASSERT_TRUE(image.ok()) << image.status();
      misses += !image->cache_hit;
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(misses, 1);
}

TEST_F(ImageBuilderTest, AMissingReleaseSaysHowToProvideOne) {
  BuildRequest request = Hello();
  ReleaseStore none({.release_dir = (dir_ / "nowhere").string(), .url_template = ""}, nullptr);
  ImageBuilder builder(none, *cache_);
  auto image = builder.Build(request);
  EXPECT_EQ(image.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(image.status().message().find("NANOS_RELEASE_DIR"), std::string::npos);
}

}  // namespace
}  // namespace nanoplane::image
