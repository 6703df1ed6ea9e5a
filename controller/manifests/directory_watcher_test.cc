#include "controller/manifests/directory_watcher.h"

#include <filesystem>
#include <fstream>
#include <thread>

#include "controller/testing/store_test_harness.h"
#include "gtest/gtest.h"

namespace nanoplane::controller::manifests {
namespace {

namespace fs = std::filesystem;
using Wake = DirectoryWatcher::Wake;

class DirectoryWatcherTest : public ::testing::Test {
 protected:
  std::unique_ptr<DirectoryWatcher> Open() {
    auto watcher = DirectoryWatcher::Open(dir_.path(), absl::Milliseconds(50));
    EXPECT_TRUE(watcher.ok()) << watcher.status();
    return watcher.ok() ? *std::move(watcher) : nullptr;
  }
  void Write(const std::string& relative) {
    fs::path file = fs::path(dir_.path()) / relative;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << "x";
  }

  TempDir dir_;
};

TEST_F(DirectoryWatcherTest, NothingChangedTimesOut) {
  auto watcher = Open();
  EXPECT_EQ(watcher->Wait(absl::Milliseconds(30)), Wake::kTimeout);
}

TEST_F(DirectoryWatcherTest, ABurstOfWritesCountsOnce) {
  auto watcher = Open();
  for (int i = 0; i < 5; ++i) {
    Write("a.yaml");
    fs::rename(fs::path(dir_.path()) / "a.yaml", fs::path(dir_.path()) / "b.yaml");
  }
  EXPECT_EQ(watcher->Wait(absl::Seconds(3)), Wake::kChanged);
  EXPECT_EQ(watcher->Wait(absl::Milliseconds(100)), Wake::kTimeout);
}

TEST_F(DirectoryWatcherTest, SubdirectoriesNewOnesIncludedAreWatched) {
  Write("old/a.yaml");
  auto watcher = Open();
  Write("old/b.yaml");
  EXPECT_EQ(watcher->Wait(absl::Seconds(3)), Wake::kChanged);
  fs::create_directories(fs::path(dir_.path()) / "new" / "deeper");
  EXPECT_EQ(watcher->Wait(absl::Seconds(3)), Wake::kChanged);
  Write("new/deeper/c.yaml");
  EXPECT_EQ(watcher->Wait(absl::Seconds(3)), Wake::kChanged);
}

TEST_F(DirectoryWatcherTest, HiddenDirectoriesAreNotWatched) {
  Write(".git/HEAD");
  auto watcher = Open();
  Write(".git/HEAD");
  EXPECT_EQ(watcher->Wait(absl::Milliseconds(100)), Wake::kTimeout);
}

TEST_F(DirectoryWatcherTest, StopWakesWaitAndEveryLaterOne) {
  auto watcher = Open();
  std::thread stopper([&] {
    absl::SleepFor(absl::Milliseconds(20));
    watcher->Stop();
  });
  absl::Time start = absl::Now();
  EXPECT_EQ(watcher->Wait(absl::Seconds(30)), Wake::kStopped);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  stopper.join();
  EXPECT_EQ(watcher->Wait(absl::Seconds(30)), Wake::kStopped);
}

TEST_F(DirectoryWatcherTest, MissingDirectoryIsPickedUpByWatchTree) {
  fs::path later = fs::path(dir_.path()) / "later";
  auto watcher = DirectoryWatcher::Open(later.string(), absl::Milliseconds(50));
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  fs::create_directories(later);
  (*watcher)->WatchTree();
  std::ofstream(later / "a.yaml") << "x";
  EXPECT_EQ((*watcher)->Wait(absl::Seconds(3)), Wake::kChanged);
}

}  // namespace
}  // namespace nanoplane::controller::manifests
