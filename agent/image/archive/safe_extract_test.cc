#include "agent/image/archive/safe_extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace nanoplane::image {
namespace {

namespace fs = std::filesystem;

struct Entry {
  std::string path;
  char type;  // 'f' file, 'd' dir, 'l' symlink, 'h' hard link
  std::string data;  // content, or link target
};

// Writes a gzipped tar holding exactly `entries`, however hostile.
std::string WriteTar(const std::string& name, const std::vector<Entry>& entries) {
  std::string path = testing::TempDir() + "/" + name + ".tar.gz";
  archive* writer = archive_write_new();
  archive_write_add_filter_gzip(writer);
  archive_write_set_format_pax_restricted(writer);
  archive_write_open_filename(writer, path.c_str());
  for (const Entry& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.path.c_str());
    archive_entry_set_perm(entry, 0644);
    if (e.type == 'f') {
      archive_entry_set_filetype(entry, AE_IFREG);
      archive_entry_set_size(entry, static_cast<la_int64_t>(e.data.size()));
    } else if (e.type == 'd') {
      archive_entry_set_filetype(entry, AE_IFDIR);
    } else if (e.type == 'l') {
      archive_entry_set_filetype(entry, AE_IFLNK);
      archive_entry_set_symlink(entry, e.data.c_str());
    } else {
      archive_entry_set_filetype(entry, AE_IFREG);
      archive_entry_set_hardlink(entry, e.data.c_str());
    }
    archive_write_header(writer, entry);
    if (e.type == 'f') {
      archive_write_data(writer, e.data.data(), e.data.size());
    }
    archive_entry_free(entry);
  }
  archive_write_close(writer);
  archive_write_free(writer);
  return path;
}

class SafeExtractTest : public testing::Test {
 protected:
  void SetUp() override {
    dest_ = fs::path(testing::TempDir()) / ("extract-" + std::to_string(::getpid()) + "-" +
                                           testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dest_);
    fs::create_directories(dest_);
  }
  void TearDown() override { fs::remove_all(dest_); }
  fs::path dest_;
};

TEST_F(SafeExtractTest, ExtractsFilesDirectoriesAndInsideSymlinks) {
  std::string tar = WriteTar("good", {{"./sysroot/", 'd', ""},
                                      {"sysroot/lib/libc.so.6", 'f', "ELF..."},
                                      {"sysroot/lib/libc.so", 'l', "libc.so.6"},
                                      {"sysroot/lib64/ld.so", 'l', "../lib/libc.so.6"},
                                      {"package.manifest", 'f', "{}"}});
  ASSERT_TRUE(ExtractArchive(tar, dest_.string()).ok());
  std::ifstream in(dest_ / "sysroot/lib64/ld.so");
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, "ELF...");
  EXPECT_TRUE(fs::is_symlink(dest_ / "sysroot/lib/libc.so"));
}

struct HostileCase {
  const char* name;
  std::vector<Entry> entries;
  const char* named;  // the entry the error must name
};

TEST_F(SafeExtractTest, RefusesEveryWayOut) {
  const std::vector<HostileCase> cases = {
      {"absolute", {{"/etc/passwd", 'f', "x"}}, "/etc/passwd"},
      {"dotdot", {{"a/../../evil", 'f', "x"}}, "a/../../evil"},
      {"abs-symlink", {{"lib", 'l', "/etc"}}, "lib"},
      {"climbing-symlink", {{"a/b", 'l', "../../etc"}}, "a/b"},
      {"symlink-through-name", {{"x", 'l', "a/b/z/../.."}}, "x"},
      {"write-through-symlink", {{"d", 'l', "."}, {"d/f", 'f', "x"}}, "d/f"},
      {"hard-link", {{"h", 'h', "/etc/shadow"}}, "h"},
  };
  for (const HostileCase& c : cases) {
    fs::path dest = dest_ / c.name;
    fs::create_directories(dest);
    absl::Status status = ExtractArchive(WriteTar(c.name, c.entries), dest.string());
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.name << ": " << status;
    EXPECT_NE(status.message().find(std::string("\"") + c.named + "\""), std::string::npos)
        << c.name << ": " << status;
  }
  EXPECT_FALSE(fs::exists(dest_.parent_path() / "evil"));
}

TEST_F(SafeExtractTest, EnforcesTheSizeLimit) {
  std::string tar = WriteTar("big", {{"big", 'f', std::string(4096, 'x')}});
  absl::Status status = ExtractArchive(tar, dest_.string(), {.max_total_bytes = 1000});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SafeExtractTest, CorruptOrMissingArchivesAreErrors) {
  std::string path = testing::TempDir() + "/garbage.tar.gz";
  std::ofstream(path) << "\x1f\x8b this is not gzip";
  EXPECT_FALSE(ExtractArchive(path, dest_.string()).ok());
  EXPECT_FALSE(ExtractArchive(path + ".missing", dest_.string()).ok());
}

TEST(SymlinkStaysInsideTest, ResolvesRelativeToTheLinksDirectory) {
  EXPECT_TRUE(SymlinkStaysInside("lib/a", "../b"));
  EXPECT_TRUE(SymlinkStaysInside("a", "b/c"));
  EXPECT_TRUE(SymlinkStaysInside("usr/lib/x/a", "../../../lib/y"));
  EXPECT_FALSE(SymlinkStaysInside("a", "../b"));
  EXPECT_FALSE(SymlinkStaysInside("a", "/b"));
  EXPECT_FALSE(SymlinkStaysInside("lib/a", "b/../../../c"));
}

}  // namespace
}  // namespace nanoplane::image
