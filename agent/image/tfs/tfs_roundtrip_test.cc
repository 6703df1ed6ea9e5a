#include <sys/stat.h>

#include <chrono>
#include <cstring>
#include <map>

#include "agent/image/tfs/tfs_reader.h"
#include "agent/image/tfs/tfs_test_util.h"
#include "agent/image/tfs/tfs_writer.h"
#include "agent/image/tfs/tuple_text.h"
#include "gtest/gtest.h"

namespace nanoplane::image {
namespace {

using ::nanoplane::image::testing::RandomBytes;
using ::nanoplane::image::testing::ReadHostFile;
using ::nanoplane::image::testing::TempDir;
using ::nanoplane::image::testing::WriteHostFile;

constexpr TfsUuid kUuid = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

// Expected content of every regular file, by path.
using Expected = std::map<std::string, std::string>;

void AddBytes(TfsTree& tree, Expected& want, const std::string& path, std::string data) {
  want[path] = data;
  ASSERT_TRUE(tree.AddFile(path, FileSource::Bytes(std::move(data))).ok()) << path;
}

void ExpectFilesMatch(const TfsReader& reader, const Expected& want) {
  for (const auto& [path, data] : want) {
    absl::StatusOr<std::string> got = reader.ReadFile(path);
    ASSERT_TRUE(got.ok()) << path << ": " << got.status();
    ASSERT_EQ(got->size(), data.size()) << path;
    ASSERT_TRUE(*got == data) << path;
  }
}

TEST(TfsRoundTripTest, LargeTreeReadsBackIdentically) {
  TempDir tmp;
  TfsTree tree;
  Expected want;
  // Thousands of small files over a few directories.
  for (int i = 0; i < 3000; ++i) {
    AddBytes(tree, want, StrCat("/lib/d", i % 30, "/file", i, ".so"), RandomBytes(i % 1500, i));
  }
  // Deep directories.
  std::string deep;
  for (int i = 0; i < 120; ++i) {
    StrAppend(&deep, "/level", i);
  }
  AddBytes(tree, want, deep + "/leaf", "deep content");
  // Empty, exactly-one-sector, and a large host file (one 20 MiB extent).
  AddBytes(tree, want, "/empty", "");
  AddBytes(tree, want, "/sector", std::string(512, 'x'));
  std::string big = RandomBytes(20 * 1024 * 1024 + 123, 99);
  WriteHostFile(tmp.Join("big.bin"), big);
  ASSERT_TRUE(tree.AddFile("/data/big.bin", FileSource::HostPath(tmp.Join("big.bin"))).ok());
  want["/data/big.bin"] = big;
  ASSERT_TRUE(tree.AddSymlink("/lib/libc.so.6", "d0/file0.so").ok());
  ASSERT_TRUE(tree.AddSymlink("/abs", "/data/big.bin").ok());
  ASSERT_TRUE(tree.AddDirectory("/tmp").ok());
  ASSERT_TRUE(tree.SetRootEntry("program", "/data/big.bin").ok());
  ASSERT_TRUE(tree.SetRootEntry("arguments", std::vector<Value>{"big", "-v"}).ok());
  ASSERT_TRUE(tree.SetRootEntry("environment", Tuple{{"HOME", "/"}}).ok());

  // Place the filesystem at 1 MiB into an existing file, as in a disk image.
  std::string image = tmp.Join("disk.img");
  WriteHostFile(image, std::string(1 << 20, '\x5a'));
  TfsWriteOptions options{.uuid = kUuid, .label = "root"};
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<TfsWriteResult> result = WriteTfs(tree, image, 1 << 20, options);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_LT(elapsed, std::chrono::seconds(10));
  EXPECT_EQ(result->file_count, want.size());
  EXPECT_EQ(result->size_bytes % (512 * 1024), 0u);
  EXPECT_GE(result->size_bytes, result->used_bytes + 512 * 1024);
  struct stat st;
  ASSERT_EQ(::stat(image.c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), (1u << 20) + result->size_bytes);
  EXPECT_EQ(ReadHostFile(image).substr(0, 16), std::string(16, '\x5a'));  // Untouched.

  absl::StatusOr<std::unique_ptr<TfsReader>> reader =
      TfsReader::OpenFile(image, 1 << 20, result->size_bytes);
  ASSERT_TRUE(reader.ok()) << reader.status();
  const TfsReader& r = **reader;
  EXPECT_EQ(r.uuid(), kUuid);
  EXPECT_EQ(r.label(), "root");
  ExpectFilesMatch(r, want);
  EXPECT_EQ(*r.ReadLink("/lib/libc.so.6"), "d0/file0.so");
  EXPECT_EQ(*r.ReadLink("abs"), "/data/big.bin");
  EXPECT_EQ(*r.Type("/tmp"), TfsEntryType::kDirectory);
  EXPECT_TRUE(r.List("/tmp")->empty());
  EXPECT_EQ(r.List("/lib/d7")->size(), 100u);
  EXPECT_EQ(*r.FileSize("/data/big.bin"), big.size());
  EXPECT_EQ(FormatValue(*r.root().Find("arguments")), "[big -v]");
  EXPECT_EQ(FormatValue(*r.root().Find("environment")), "(HOME:/)");
  EXPECT_EQ(r.ReadFile("/nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.ReadFile("/lib").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.ReadLink("/empty").status().code(), absl::StatusCode::kFailedPrecondition);

  // Partial reads at odd offsets cross sector boundaries correctly.
  char buf[1000];
  absl::StatusOr<size_t> n = r.ReadFileRange("/data/big.bin", 777777, buf, sizeof(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::memcmp(buf, big.data() + 777777, sizeof(buf)), 0);
}

TEST(TfsRoundTripTest, MetadataLargerThanOneLogExtension) {
  TempDir tmp;
  TfsTree tree;
  Expected want;
  for (int i = 0; i < 9000; ++i) {
    AddBytes(tree, want,
             StrCat("/many/a_rather_long_directory_name_", i % 50,
                    "/and_an_even_longer_file_name_to_fill_the_log_", i),
             StrCat("content ", i));
  }
  std::string image = tmp.Join("fs.img");
  absl::StatusOr<TfsWriteResult> result = WriteTfs(tree, image, 0, {.uuid = kUuid});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_GT(result->log_bytes, 2 * 512 * 1024u);
  absl::StatusOr<std::unique_ptr<TfsReader>> reader = TfsReader::OpenFile(image);
  ASSERT_TRUE(reader.ok()) << reader.status();
  ExpectFilesMatch(**reader, want);
}

TEST(TfsRoundTripTest, StreamSourceSplitsIntoMaxSizeExtents) {
  TempDir tmp;
  TfsTree tree;
  const uint64_t size = 70ull * 1024 * 1024 + 5;
  uint64_t produced = 0;
  ASSERT_TRUE(tree.AddFile("/stream",
                           FileSource::Stream(size,
                                              [&](char* out, size_t n) {
                                                size_t k = std::min<uint64_t>(n, size - produced);
                                                for (size_t i = 0; i < k; ++i) {
                                                  out[i] = static_cast<char>((produced + i) % 251);
                                                }
                                                produced += k;
                                                return absl::StatusOr<size_t>(k);
                                              }))
                  .ok());
  std::string image = tmp.Join("fs.img");
  ASSERT_TRUE(WriteTfs(tree, image, 0, {}).ok());
  absl::StatusOr<std::unique_ptr<TfsReader>> reader = TfsReader::OpenFile(image);
  ASSERT_TRUE(reader.ok()) << reader.status();
  const Tuple* extents =
      (*reader)->root().FindTuple("children")->FindTuple("stream")->FindTuple("extents");
  ASSERT_NE(extents, nullptr);
  EXPECT_EQ(extents->size(), 3u);  // 32 + 32 + 6 MiB.
  absl::StatusOr<std::string> data = (*reader)->ReadFile("/stream");
  ASSERT_TRUE(data.ok());
  ASSERT_EQ(data->size(), size);
  for (uint64_t i = 0; i < size; i += 4099) {
    ASSERT_EQ(static_cast<unsigned char>((*data)[i]), i % 251) << i;
  }
}

TEST(TfsRoundTripTest, OutputIsDeterministicGivenUuid) {
  TempDir tmp;
  TfsTree tree;
  ASSERT_TRUE(tree.AddFile("/b", FileSource::Bytes("bee")).ok());
  ASSERT_TRUE(tree.AddFile("/a/c", FileSource::Bytes(std::string(5000, 'c'))).ok());
  ASSERT_TRUE(WriteTfs(tree, tmp.Join("1.img"), 0, {.uuid = kUuid, .label = "x"}).ok());
  ASSERT_TRUE(WriteTfs(tree, tmp.Join("2.img"), 0, {.uuid = kUuid, .label = "x"}).ok());
  EXPECT_TRUE(ReadHostFile(tmp.Join("1.img")) == ReadHostFile(tmp.Join("2.img")));
}

TEST(TfsRoundTripTest, FixedSizeIsHonouredOrRejected) {
  TempDir tmp;
  TfsTree tree;
  ASSERT_TRUE(tree.AddFile("/k", FileSource::Bytes(std::string(3 << 20, 'k'))).ok());
  absl::StatusOr<TfsWriteResult> ok =
      WriteTfs(tree, tmp.Join("boot.img"), 0, {.size_bytes = 12 << 20});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->size_bytes, 12u << 20);
  EXPECT_EQ(*ComputeTfsSize(tree, {.size_bytes = 12 << 20}), 12u << 20);
  EXPECT_EQ(WriteTfs(tree, tmp.Join("small.img"), 0, {.size_bytes = 1 << 20}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteTfs(tree, tmp.Join("odd.img"), 0, {.size_bytes = 12345}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(WriteTfs(tree, tmp.Join("l.img"), 0, {.label = std::string(32, 'l')}).ok());
}

TEST(TfsRoundTripTest, TreeAndSourceErrors) {
  TempDir tmp;
  TfsTree tree;
  ASSERT_TRUE(tree.AddFile("/f", FileSource::Bytes("x")).ok());
  EXPECT_EQ(tree.AddFile("/f", FileSource::Bytes("y")).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(tree.AddDirectory("/f/sub").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(tree.AddFile("/a/../b", FileSource::Bytes("")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tree.AddFile("/", FileSource::Bytes("")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tree.SetRootEntry("children", "x").code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(tree.AddFile("/missing", FileSource::HostPath(tmp.Join("nope"))).ok());
  EXPECT_EQ(WriteTfs(tree, tmp.Join("fs.img"), 0, {}).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace nanoplane::image
