// Source resolution for agent builds: artifacts through the controller link,
// verified; local paths only for local use.

#include "agent/app/nanos_image_source.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/app/fake_controller_link.h"
#include "common/sha256.h"
#include "common/strings.h"
#include "gtest/gtest.h"

namespace nanoplane::agent::app {
namespace {

namespace fs = std::filesystem;

class SourceResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = StrCat(::testing::TempDir(), "/np-sources-", getpid());
    fs::remove_all(dir_);
    options_.artifact_dir = dir_ + "/artifacts";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
  NanosImageOptions options_;
  testing::FakeControllerLink link_;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(SourceResolverTest, FetchesAnArtifactOnceAndVerifiesIt) {
  const std::string content =
      "\x7f"
      "ELF program bytes";
  const std::string sha = Sha256Hex(content);
  link_.AddArtifact(sha, content);
  image::SourceResolver resolve = MakeSourceResolver(&link_, options_);
  v1alpha1::Source source;
  source.set_sha256(sha);
  absl::StatusOr<std::string> path = resolve(source, "spec.template.image.source");
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(ReadAll(*path), content);
  // Cached: a second resolve works without the controller.
  absl::StatusOr<std::string> again =
      MakeSourceResolver(nullptr, options_)(source, "spec.template.image.source");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *path);
}

TEST_F(SourceResolverTest, WrongBytesAreRejected) {
  const std::string sha = Sha256Hex("expected");
  link_.AddArtifact(sha, "something else");
  v1alpha1::Source source;
  source.set_sha256(sha);
  absl::StatusOr<std::string> path = MakeSourceResolver(&link_, options_)(source, "f");
  EXPECT_EQ(path.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(options_.artifact_dir + "/" + sha));
}

TEST_F(SourceResolverTest, UnknownArtifactIsNotFound) {
  v1alpha1::Source source;
  source.set_sha256(Sha256Hex("absent"));
  EXPECT_EQ(MakeSourceResolver(&link_, options_)(source, "f").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SourceResolverTest, LocalPathsOnlyForLocalUse) {
  fs::create_directories(dir_);
  std::ofstream(dir_ + "/prog") << "x";
  v1alpha1::Source source;
  source.set_path(dir_ + "/prog");
  EXPECT_EQ(MakeSourceResolver(&link_, options_)(source, "f").status().code(),
            absl::StatusCode::kFailedPrecondition);
  options_.allow_local_paths = true;
  absl::StatusOr<std::string> path = MakeSourceResolver(&link_, options_)(source, "f");
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(*path, dir_ + "/prog");
}

}  // namespace
}  // namespace nanoplane::agent::app
