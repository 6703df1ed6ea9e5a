#include "agent/image/cache/image_cache.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/sha256.h"

namespace nanoplane::image {
namespace {

namespace fs = std::filesystem;

class ImageCacheTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           ("images-" + std::to_string(::getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static ImageCache::Builder Writing(size_t bytes, std::atomic<int>* builds = nullptr) {
    return [bytes, builds](const std::string& path) {
      if (builds) {
        ++*builds;
      }
      std::ofstream(path) << std::string(bytes, 'x');
      return absl::OkStatus();
    };
  }

  // Makes `key` look used `age_seconds` ago.
  void Age(const std::string& key, int age_seconds) {
    fs::last_write_time(dir_ / (key + ".img"),
                        fs::file_time_type::clock::now() - std::chrono::seconds(age_seconds));
  }

  fs::path dir_;
};

std::string Key(int n) { return Sha256Hex(std::to_string(n)); }

TEST_F(ImageCacheTest, BuildsOnceThenHits) {
  ImageCache cache({.dir = dir_.string()});
  std::atomic<int> builds{0};
  auto first = cache.GetOrBuild(Key(1), Writing(100, &builds));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->hit);
  auto second = cache.GetOrBuild(Key(1), Writing(100, &builds));
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->hit);
  EXPECT_EQ(second->path, first->path);
  EXPECT_EQ(builds, 1);
}

TEST_F(ImageCacheTest, ConcurrentBuildsOfOneKeyBuildOnce) {
  std::atomic<int> builds{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      ImageCache cache({.dir = dir_.string()});  // like separate processes
      ASSERT_TRUE(cache
                      .GetOrBuild(Key(1),
                                  [&](const std::string& path) {
                                    ++builds;
                                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
                                    std::ofstream(path) << "image";
                                    return absl::OkStatus();
                                  })
                      .ok());
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(builds, 1);
}

TEST_F(ImageCacheTest, AFailedBuildLeavesNothing) {
  ImageCache cache({.dir = dir_.string()});
  auto result = cache.GetOrBuild(Key(1), [](const std::string& path) {
    std::ofstream(path) << "half an image";
    return absl::InvalidArgumentError("bad program");
  });
  EXPECT_EQ(result.status().message(), "bad program");
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_TRUE(entry.path().filename().string().ends_with(".lock")) << entry.path();
  }
  EXPECT_EQ(cache.Lookup(Key(1)).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ImageCacheTest, EvictsLeastRecentlyUsedButNeverPinnedOrNew) {
  ImageCache cache({.dir = dir_.string(), .max_bytes = 3 * 8192});
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(cache.GetOrBuild(Key(i), Writing(8192)).ok());
  }
  Age(Key(1), 300);
  Age(Key(2), 200);
  Age(Key(3), 100);
  cache.Pin(Key(1));
  ASSERT_TRUE(cache.GetOrBuild(Key(4), Writing(8192)).ok());
  EXPECT_TRUE(cache.Lookup(Key(1)).ok()) << "pinned";
  EXPECT_FALSE(cache.Lookup(Key(2)).ok()) << "least recently used";
  EXPECT_TRUE(cache.Lookup(Key(3)).ok());
  EXPECT_TRUE(cache.Lookup(Key(4)).ok()) << "just built";
  EXPECT_LE(cache.TotalBytes(), 3u * 8192);
}

TEST_F(ImageCacheTest, RejectsKeysThatAreNotDigests) {
  ImageCache cache({.dir = dir_.string()});
  EXPECT_EQ(cache.GetOrBuild("../x", Writing(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace nanoplane::image
