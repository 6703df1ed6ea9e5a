#include "common/sha256.h"

#include <gtest/gtest.h>

#include <fstream>

namespace nanoplane {
namespace {

TEST(Sha256Test, MatchesKnownDigests) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, HashesFilesAndNamesMissingOnes) {
  std::string path = testing::TempDir() + "/sha256-test";
  std::ofstream(path) << "abc";
  EXPECT_EQ(*Sha256OfFile(path), Sha256Hex("abc"));
  auto missing = Sha256OfFile(path + "-missing");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("sha256-test-missing"), std::string::npos);
}

}  // namespace
}  // namespace nanoplane
