#include "controller/adapters/fs_artifact_store.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/sha256.h"
#include "controller/testing/store_test_harness.h"
#include "gtest/gtest.h"

namespace nanoplane::controller {
namespace {

namespace fs = std::filesystem;

class FsArtifactStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = (fs::path(dir_.path()) / "artifacts").string();
    store_ = FsArtifactStore::Open(root_).value();
  }

  std::string ReadAll(const std::string& digest) {
    auto reader = store_->Get(digest);
    EXPECT_TRUE(reader.ok()) << reader.status();
    std::string out;
    while (reader.ok()) {
      std::string chunk = (*reader)->Read(4096).value();
      if (chunk.empty()) {
        break;
      }
      out += chunk;
    }
    return out;
  }

  absl::StatusOr<int64_t> Put(const std::string& content) {
    std::istringstream in(content);
    return ports::PutStream(*store_, Sha256Hex(content), in);
  }

  // Makes a file look unused for `age`.
  static void Age(const std::string& path, absl::Duration age) {
    timespec times[2];
    times[0] = times[1] = absl::ToTimespec(absl::Now() - age);
    ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  }

  size_t Temporaries() {
    return std::distance(fs::directory_iterator(fs::path(root_) / "tmp"), fs::directory_iterator());
  }

  TempDir dir_;
  std::string root_;
  std::unique_ptr<FsArtifactStore> store_;
};

std::string Content(size_t size, char seed) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    out[i] = static_cast<char>(seed + i * 7);
  }
  return out;
}

TEST_F(FsArtifactStoreTest, PutThenGetReturnsTheSameBytes) {
  std::string content = Content(300000, 'a');
  std::string digest = Sha256Hex(content);
  absl::StatusOr<int64_t> size = Put(content);
  ASSERT_TRUE(size.ok()) << size.status();
  EXPECT_EQ(*size, 300000);
  EXPECT_TRUE(store_->Has(digest).value());
  EXPECT_EQ(store_->Size(digest).value(), 300000);
  EXPECT_EQ(store_->Get(digest).value()->size(), 300000);
  EXPECT_EQ(ReadAll(digest), content);
  EXPECT_EQ(store_->List().value(), std::vector<std::string>{digest});
  EXPECT_EQ(Temporaries(), 0u);
}

TEST_F(FsArtifactStoreTest, AMismatchedUploadIsRefusedAndLeavesNothing) {
  std::string claimed = Sha256Hex("what the client said");
  std::istringstream in("something else");
  EXPECT_EQ(ports::PutStream(*store_, claimed, in).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(store_->Has(claimed).value());
  EXPECT_TRUE(store_->List().value().empty());
  EXPECT_EQ(Temporaries(), 0u);
}

TEST_F(FsArtifactStoreTest, MalformedDigestsAreInvalidArguments) {
  for (const std::string& bad : std::vector<std::string>{
           "", "../../etc/passwd", std::string(64, 'A'), std::string(63, 'a')}) {
    EXPECT_EQ(store_->StartPut(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(store_->Get(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(store_->Has(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST_F(FsArtifactStoreTest, MissingBlobsAreNotFound) {
  std::string digest = Sha256Hex("absent");
  EXPECT_EQ(store_->Get(digest).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Size(digest).status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(store_->Has(digest).value());
}

TEST_F(FsArtifactStoreTest, AnAbandonedOrAbortedUploadLeavesNothing) {
  std::string digest = Sha256Hex("data");
  {
    auto writer = store_->StartPut(digest).value();
    ASSERT_TRUE(writer->Append("da").ok());
  }
  auto aborted = store_->StartPut(digest).value();
  ASSERT_TRUE(aborted->Append("data").ok());
  aborted->Abort();
  EXPECT_EQ(aborted->Commit().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(store_->Has(digest).value());
  EXPECT_EQ(Temporaries(), 0u);
}

TEST_F(FsArtifactStoreTest, ConcurrentPutsOfTheSameBlobAllSucceed) {
  std::string content = Content(1 << 20, 'x');
  std::string digest = Sha256Hex(content);
  std::atomic<int> ok{0};
  std::atomic<bool> torn{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto writer = store_->StartPut(digest).value();
      for (size_t offset = 0; offset < content.size(); offset += 65536) {
        ASSERT_TRUE(writer->Append(std::string_view(content).substr(offset, 65536)).ok());
      }
      if (writer->Commit().ok()) {
        ++ok;
      }
      // Whoever reads now sees one whole copy.
      if (ReadAll(digest) != content) {
        torn = true;
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(ok.load(), 8);
  EXPECT_FALSE(torn.load());
  EXPECT_EQ(ReadAll(digest), content);
  EXPECT_EQ(Temporaries(), 0u);
}

TEST_F(FsArtifactStoreTest, GarbageCollectDeletesOnlyOldUnreferencedBlobs) {
  std::string kept = "referenced and old", old = "unreferenced and old",
              young = "unreferenced and young";
  for (const std::string& content : {kept, old, young}) {
    ASSERT_TRUE(Put(content).ok());
  }
  Age(store_->BlobPath(Sha256Hex(kept)), absl::Hours(2));
  Age(store_->BlobPath(Sha256Hex(old)), absl::Hours(2));
  std::string abandoned = (fs::path(root_) / "tmp" / "crashed-upload").string();
  std::ofstream(abandoned) << "partial";
  Age(abandoned, absl::Hours(2));

  auto result = store_->GarbageCollect({Sha256Hex(kept)}, absl::Hours(1));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->deleted, std::vector<std::string>{Sha256Hex(old)});
  EXPECT_EQ(result->bytes_freed, static_cast<int64_t>(old.size() + 7));
  EXPECT_TRUE(store_->Has(Sha256Hex(kept)).value());
  EXPECT_TRUE(store_->Has(Sha256Hex(young)).value());
  EXPECT_FALSE(store_->Has(Sha256Hex(old)).value());
  EXPECT_EQ(Temporaries(), 0u);
}

TEST_F(FsArtifactStoreTest, HasMakesABlobYoungAgain) {
  std::string content = "checked before referencing";
  ASSERT_TRUE(Put(content).ok());
  Age(store_->BlobPath(Sha256Hex(content)), absl::Hours(2));
  ASSERT_TRUE(store_->Has(Sha256Hex(content)).value());
  EXPECT_TRUE(store_->GarbageCollect({}, absl::Hours(1)).value().deleted.empty());
}

TEST_F(FsArtifactStoreTest, AnOpenReaderOutlivesCollection) {
  std::string content = Content(10000, 'r');
  ASSERT_TRUE(Put(content).ok());
  auto reader = store_->Get(Sha256Hex(content)).value();
  ASSERT_EQ(store_->GarbageCollect({}, absl::ZeroDuration()).value().deleted.size(), 1u);
  std::string got = reader->Read(20000).value();
  EXPECT_EQ(got, content);
}

TEST_F(FsArtifactStoreTest, PutFileUploadsAFileAndReportsAMissingOne) {
  std::string path = (fs::path(dir_.path()) / "program").string();
  std::ofstream(path) << "#!/bin/true\n";
  std::string digest = Sha256OfFile(path).value();
  EXPECT_EQ(ports::PutFile(*store_, digest, path).value(), 12);
  EXPECT_EQ(ReadAll(digest), "#!/bin/true\n");
  EXPECT_EQ(ports::PutFile(*store_, digest, path + ".missing").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace nanoplane::controller
