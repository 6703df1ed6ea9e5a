#include "agent/app/assignment_file.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/strings.h"
#include "gtest/gtest.h"

namespace nanoplane::agent::app {
namespace {

namespace fs = std::filesystem;

class AssignmentFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = StrCat(::testing::TempDir(), "/np-assignment-", getpid());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path() const { return dir_ + "/state/assignment.pb"; }
  std::string dir_;
};

TEST_F(AssignmentFileTest, MissingFileIsNoAssignment) {
  absl::StatusOr<std::optional<v1::Assignment>> loaded = LoadAssignment(path());
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->has_value());
}

TEST_F(AssignmentFileTest, SavedAssignmentLoadsBackAndReplacesTheOld) {
  v1::Assignment first;
  first.set_generation(1);
  first.add_instances()->mutable_identity()->set_name("web-0");
  ASSERT_TRUE(SaveAssignment(path(), first).ok());
  v1::Assignment second;
  second.set_generation(2);
  ASSERT_TRUE(SaveAssignment(path(), second).ok());
  absl::StatusOr<std::optional<v1::Assignment>> loaded = LoadAssignment(path());
  ASSERT_TRUE(loaded.ok());
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->generation(), 2);
  EXPECT_EQ((*loaded)->instances_size(), 0);
  // Nothing but the file itself is left behind.
  int files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_ + "/state")) {
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST_F(AssignmentFileTest, GarbageIsDataLoss) {
  fs::create_directories(dir_ + "/state");
  std::ofstream(path()) << "\xff\xff\xff not a protobuf";
  EXPECT_EQ(LoadAssignment(path()).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace nanoplane::agent::app
