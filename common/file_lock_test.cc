#include "common/file_lock.h"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "gtest/gtest.h"

namespace nanoplane {
namespace {

std::string LockPath() {
  return (std::filesystem::temp_directory_path() / ("np-lock-test-" + std::to_string(getpid())))
      .string();
}

// Whether a child process (a separate open file description, as another
// nanoplane process would have) gets the lock right now.
bool AnotherProcessGetsIt(const std::string& path) {
  pid_t child = fork();
  if (child == 0) {
    _exit(FileLock::TryAcquire(path, "x").ok() ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST(FileLockTest, ASecondHolderIsToldWhoHasIt) {
  const std::string path = LockPath();
  {
    absl::StatusOr<FileLock> held = FileLock::TryAcquire(path, "/data");
    ASSERT_TRUE(held.ok()) << held.status();
    EXPECT_FALSE(AnotherProcessGetsIt(path));
    // Within one process too: each acquisition opens the file anew.
    absl::StatusOr<FileLock> again = FileLock::TryAcquire(path, "/data");
    ASSERT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(std::string(again.status().message()), "/data is in use by another process (pid " +
                                                         std::to_string(getpid()) +
                                                         "); lock file " + path);
  }
  EXPECT_TRUE(AnotherProcessGetsIt(path));
  std::filesystem::remove(path);
}

TEST(FileLockTest, AMovedLockStaysHeldUntilItsLastOwnerGoes) {
  const std::string path = LockPath();
  absl::StatusOr<FileLock> held = FileLock::Acquire(path);
  ASSERT_TRUE(held.ok()) << held.status();
  FileLock moved = *std::move(held);
  EXPECT_FALSE(AnotherProcessGetsIt(path));
  moved = *FileLock::Acquire(path + "-other");
  EXPECT_TRUE(AnotherProcessGetsIt(path));
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-other");
}

TEST(FileLockTest, AnUnopenableLockFileIsAnError) {
  EXPECT_EQ(FileLock::Acquire("/nonexistent-dir/x.lock").status().code(),
            absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace nanoplane
