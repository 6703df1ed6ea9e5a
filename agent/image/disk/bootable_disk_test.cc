#include "agent/image/disk/bootable_disk.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "agent/image/disk/fake_release.h"
#include "agent/image/tfs/tfs_reader.h"

namespace nanoplane::image {
namespace {

namespace fs = std::filesystem;

class BootableDiskTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) / ("disk-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "boot.img", std::ios::binary) << FakeBootImage(32 * 1024);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(BootableDiskTest, ReadsTheBootFilesystemOffsetFromStage1) {
  std::string image = FakeBootImage(32 * 1024);
  EXPECT_EQ(*BootFsOffset(image), 512u + 32 * 1024 + 4096);
  image[0x1BE - 4] = 7;  // region type
  EXPECT_FALSE(BootFsOffset(image).ok());
  image = FakeBootImage(1024);
  image[511] = 0;
  EXPECT_FALSE(BootFsOffset(image).ok());
}

TEST_F(BootableDiskTest, WritesBootAndRootFilesystemsWherePartitionsSayTheyAre) {
  TfsTree boot;
  ASSERT_TRUE(boot.AddFile("kernel", FileSource::Bytes("KERNEL")).ok());
  ASSERT_TRUE(boot.AddFile("klib/tls", FileSource::Bytes("TLS")).ok());
  TfsTree root;
  ASSERT_TRUE(root.AddFile("hello", FileSource::Bytes("\x7f"
                                                      "ELF hello"))
                  .ok());
  ASSERT_TRUE(root.SetRootEntry("program", Value("/hello")).ok());
  std::string disk = (dir_ / "disk.img").string();
  auto layout = WriteBootableDisk(
      disk,
      {.boot_img_path = (dir_ / "boot.img").string(), .boot_tree = &boot, .root_tree = &root});
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(fs::file_size(disk), layout->total_size);

  auto boot_part = ReadPartition(disk, 0);
  auto root_part = ReadPartition(disk, 1);
  ASSERT_TRUE(boot_part.ok() && root_part.ok());
  EXPECT_EQ(boot_part->offset, layout->boot_fs_offset);
  EXPECT_EQ(boot_part->size, kBootFsSize);
  EXPECT_EQ(root_part->offset, layout->root_fs_offset);
  EXPECT_EQ(root_part->offset + root_part->size, layout->total_size);
  EXPECT_EQ(ReadPartition(disk, 2).status().code(), absl::StatusCode::kNotFound);

  auto boot_fs = TfsReader::OpenFile(disk, boot_part->offset, boot_part->size);
  ASSERT_TRUE(boot_fs.ok()) << boot_fs.status();
  EXPECT_EQ(*(*boot_fs)->ReadFile("/kernel"), "KERNEL");
  auto root_fs = TfsReader::OpenFile(disk, root_part->offset, root_part->size);
  ASSERT_TRUE(root_fs.ok()) << root_fs.status();
  EXPECT_EQ(*(*root_fs)->ReadFile("/hello"),
            "\x7f"
            "ELF hello");
  EXPECT_EQ((*root_fs)->root().Find("program")->string(), "/hello");

  // Stage1 and stage2 are the release's, but for the partition table.
  std::ifstream in(disk, std::ios::binary);
  std::string first(512 + 32 * 1024, '\0');
  in.read(first.data(), static_cast<std::streamsize>(first.size()));
  std::string expected = FakeBootImage(32 * 1024);
  EXPECT_EQ(first.substr(0, 0x1BE), expected.substr(0, 0x1BE));
  EXPECT_EQ(first.substr(512), expected.substr(512));
}

TEST_F(BootableDiskTest, HonoursARootSizeAndRefusesOneTooSmall) {
  TfsTree boot, root;
  ASSERT_TRUE(root.AddFile("big", FileSource::Bytes(std::string(3 << 20, 'x'))).ok());
  DiskContents contents{.boot_img_path = (dir_ / "boot.img").string(),
                        .boot_tree = &boot,
                        .root_tree = &root,
                        .root_fs_size = 64ULL << 20};
  auto layout = WriteBootableDisk((dir_ / "sized.img").string(), contents);
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->root_fs_size, 64ULL << 20);
  contents.root_fs_size = 1ULL << 20;
  EXPECT_EQ(WriteBootableDisk((dir_ / "small.img").string(), contents).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(BootableDiskTest, RefusesABootImageThatIsNotNanos) {
  std::ofstream(dir_ / "other.img", std::ios::binary) << std::string(4096, 'x');
  TfsTree boot, root;
  auto layout = WriteBootableDisk(
      (dir_ / "x.img").string(),
      {.boot_img_path = (dir_ / "other.img").string(), .boot_tree = &boot, .root_tree = &root});
  EXPECT_EQ(layout.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(layout.status().message().find("other.img"), std::string::npos);
}

}  // namespace
}  // namespace nanoplane::image
