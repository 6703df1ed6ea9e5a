// A corrupt or hostile image must produce an error status: never a crash, a
// hang or an unbounded allocation.

#include <random>

#include "agent/image/tfs/tfs_log.h"
#include "agent/image/tfs/tfs_reader.h"
#include "agent/image/tfs/tfs_test_util.h"
#include "agent/image/tfs/tfs_writer.h"
#include "agent/image/tfs/tuple_codec.h"
#include "gtest/gtest.h"

namespace nanoplane::image {
namespace {

using ::nanoplane::image::testing::ReadHostFile;
using ::nanoplane::image::testing::TempDir;
using ::nanoplane::image::testing::WalkAll;

// A small valid image, held in memory.
std::string SmallImage() {
  TempDir tmp;
  TfsTree tree;
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(
        tree.AddFile(StrCat("/d", i % 3, "/f", i), FileSource::Bytes(std::string(i * 300, 'a' + i)))
            .ok());
  }
  EXPECT_TRUE(tree.AddSymlink("/link", "d0/f0").ok());
  EXPECT_TRUE(tree.SetRootEntry("program", "/d0/f3").ok());
  EXPECT_TRUE(WriteTfs(tree, tmp.Join("fs.img"), 0, {.label = "l"}).ok());
  return ReadHostFile(tmp.Join("fs.img"));
}

absl::Status OpenAndWalk(const std::string& bytes) {
  absl::StatusOr<std::unique_ptr<TfsReader>> r = TfsReader::Open(MemoryByteSource(bytes));
  if (!r.ok()) {
    return r.status();
  }
  int budget = 10000;
  return testing::WalkAll(**r, "/", 1 << 20, &budget);
}

TEST(TfsCorruptTest, ValidImageWalksCleanly) { EXPECT_TRUE(OpenAndWalk(SmallImage()).ok()); }

TEST(TfsCorruptTest, TruncatedImagesFail) {
  std::string image = SmallImage();
  for (size_t len : {size_t{0}, size_t{10}, size_t{511}, size_t{512}, size_t{1000},
                     size_t{512 * 1024}, size_t{512 * 1025 + 100}}) {
    EXPECT_FALSE(OpenAndWalk(image.substr(0, len)).ok()) << len;
  }
}

TEST(TfsCorruptTest, RandomByteFlipsNeverCrash) {
  const std::string image = SmallImage();
  // The log: the header sector and the used part of the first extension.
  size_t log_used = 512 + 1500;
  std::mt19937 rng(1234);
  int failures = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string bad = image;
    int flips = 1 + rng() % 4;
    for (int i = 0; i < flips; ++i) {
      bad[rng() % log_used] ^= static_cast<char>(1 + rng() % 255);
    }
    if (!OpenAndWalk(bad).ok()) {
      ++failures;
    }
  }
  EXPECT_GT(failures, 1000);  // Most flips are detected; none crash.
}

TEST(TfsCorruptTest, HostileLogStructuresFail) {
  std::string image = SmallImage();
  // A link from the first extension back to itself.
  std::string loop = image;
  size_t link = 6 + 1 + 1 + kTfsUuidSize + 2;  // magic, version, length, uuid, "l\0"
  ASSERT_EQ(loop[link], static_cast<char>(kFrameExtensionLink));
  loop[link + 1] = 0;  // Sector 0.
  loop[link + 2] = 1;
  EXPECT_FALSE(OpenAndWalk(loop).ok());
  // A link to sectors that hold no extension.
  std::string outside = image;
  outside[link + 1] = '\x7f';
  EXPECT_FALSE(OpenAndWalk(outside).ok());
  // Wrong magic and unknown version.
  std::string magic = image;
  magic[0] = 'X';
  EXPECT_FALSE(OpenAndWalk(magic).ok());
  std::string version = image;
  version[6] = 9;
  EXPECT_FALSE(OpenAndWalk(version).ok());
}

TEST(TfsCorruptTest, HostileExtentsFail) {
  // A root whose file claims data past the end of the filesystem and a huge
  // length: reading must fail cleanly without allocating the claimed length.
  Tuple file{{"extents", Tuple{{"0", Tuple{{"offset", Value::Integer(1ull << 40)},
                                           {"length", Value::Integer(8)},
                                           {"allocated", Value::Integer(8)}}}}},
             {"filelength", Value::Integer(4096)}};
  Tuple huge{{"extents", Tuple{}}, {"filelength", Value::Integer(1ull << 62)}};
  Tuple root{{"children", Tuple{{"f", file}, {"h", huge}}}};
  std::string entry;
  TupleEncoder().EncodeEntry(root, &entry);
  std::vector<LogExtension> log = BuildLog(TfsUuid{}, "", {entry});
  std::string image(4 << 20, '\0');
  for (const LogExtension& ext : log) {
    image.replace(ext.start_sector * kTfsSectorSize, ext.bytes.size(), ext.bytes);
  }
  absl::StatusOr<std::unique_ptr<TfsReader>> r = TfsReader::Open(MemoryByteSource(image));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->ReadFile("/f").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*r)->ReadFile("/h").status().code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace nanoplane::image
