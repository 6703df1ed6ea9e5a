#include "agent/image/elf/elf_file.h"

#include <filesystem>
#include <random>
#include <string>

#include "agent/image/elf/test_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nanoplane::image {
namespace {

using ::nanoplane::image::testing::HaveTool;
using ::nanoplane::image::testing::ReadFileOrDie;
using ::nanoplane::image::testing::TempDir;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kLs[] = "/bin/ls";
// Builds the hello-world C program with `flags` into dir/name.
std::string BuildHello(const TempDir& dir, const std::string& name, const std::string& flags) {
  absl::StatusOr<std::string> path = testing::BuildC(dir.path(), name, testing::kCHello, flags);
  EXPECT_TRUE(path.ok()) << path.status();
  return path.value_or("");
}

// The file offset of the dynamic entry with `tag`, or 0.
uint64_t FindDynamicEntry(const std::string& bytes, const ElfFile& elf, uint64_t tag) {
  for (const ProgramHeader& ph : elf.program_headers) {
    if (ph.type != kPtDynamic) {
      continue;
    }
    for (uint64_t at = ph.offset; at + 16 <= ph.offset + ph.filesz; at += 16) {
      uint64_t value = 0;
      bytes.copy(reinterpret_cast<char*>(&value), 8, at);
      if (value == tag) {
        return at;
      }
    }
  }
  return 0;
}

TEST(ElfFileTest, ReadsDynamicPieSystemBinary) {
  absl::StatusOr<ElfFile> elf = ReadElfFile(kLs);
  ASSERT_TRUE(elf.ok()) << elf.status();
  EXPECT_EQ(elf->kind, ElfKind::kDynamicPie);
  EXPECT_EQ(elf->interpreter, "/lib64/ld-linux-x86-64.so.2");
  EXPECT_THAT(elf->needed, Contains("libc.so.6"));
  EXPECT_FALSE(elf->is_go);
  EXPECT_FALSE(elf->IsStatic());
}

TEST(ElfFileTest, ReadsSonameAndNeededOfSharedLibrary) {
  absl::StatusOr<ElfFile> elf = ReadElfFile("/lib/x86_64-linux-gnu/libc.so.6");
  ASSERT_TRUE(elf.ok()) << elf.status();
  EXPECT_EQ(elf->soname, "libc.so.6");
  EXPECT_EQ(elf->kind, ElfKind::kSharedObject);
  EXPECT_THAT(elf->needed, Contains("ld-linux-x86-64.so.2"));
}

TEST(ElfFileTest, ReadsDynamicLoaderAsSharedObject) {
  absl::StatusOr<ElfFile> elf = ReadElfFile("/lib64/ld-linux-x86-64.so.2");
  ASSERT_TRUE(elf.ok()) << elf.status();
  EXPECT_EQ(elf->kind, ElfKind::kSharedObject);
  EXPECT_FALSE(elf->interpreter.has_value());
  EXPECT_TRUE(elf->needed.empty());
}

TEST(ElfFileTest, BusyboxStaticIsStaticExecutable) {
  if (!std::filesystem::exists("/bin/busybox")) {
    GTEST_SKIP() << "/bin/busybox not installed";
  }
  absl::StatusOr<ElfFile> elf = ReadElfFile("/bin/busybox");
  ASSERT_TRUE(elf.ok()) << elf.status();
  if (elf->interpreter.has_value()) {
    GTEST_SKIP() << "/bin/busybox is dynamically linked here";
  }
  EXPECT_EQ(elf->kind, ElfKind::kStaticExecutable);
  EXPECT_TRUE(elf->needed.empty());
}

TEST(ElfFileTest, DetectsStaticAndStaticPieBuiltWithCc) {
  if (!HaveTool("cc")) {
    GTEST_SKIP() << "no cc on PATH";
  }
  TempDir dir;
  absl::StatusOr<ElfFile> fixed = ReadElfFile(BuildHello(dir, "static", "-static"));
  ASSERT_TRUE(fixed.ok()) << fixed.status();
  EXPECT_EQ(fixed->kind, ElfKind::kStaticExecutable);
  absl::StatusOr<ElfFile> pie = ReadElfFile(BuildHello(dir, "static_pie", "-static-pie"));
  ASSERT_TRUE(pie.ok()) << pie.status();
  EXPECT_EQ(pie->kind, ElfKind::kStaticPie);
  EXPECT_FALSE(pie->interpreter.has_value());
  absl::StatusOr<ElfFile> nopie = ReadElfFile(BuildHello(dir, "nopie", "-no-pie"));
  ASSERT_TRUE(nopie.ok()) << nopie.status();
  EXPECT_EQ(nopie->kind, ElfKind::kDynamicExecutable);
}

TEST(ElfFileTest, DetectsGoBinaryAsStatic) {
  if (!HaveTool("go")) {
    GTEST_SKIP() << "go is not on PATH; skipping the Go binary test";
  }
  TempDir dir;
  absl::StatusOr<std::string> hello = testing::BuildGoHello(dir.path());
  ASSERT_TRUE(hello.ok()) << hello.status();
  absl::StatusOr<ElfFile> elf = ReadElfFile(*hello);
  ASSERT_TRUE(elf.ok()) << elf.status();
  EXPECT_TRUE(elf->is_go);
  EXPECT_EQ(elf->kind, ElfKind::kStaticExecutable);
}

TEST(ElfFileTest, RejectsNonElfNamingTheFile) {
  absl::StatusOr<ElfFile> elf = ParseElf("#!/bin/sh\necho hi\n", "/srv/run.sh");
  ASSERT_EQ(elf.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(elf.status().message()), StartsWith("/srv/run.sh: not an ELF file"));
  EXPECT_FALSE(ParseElf("", "empty").ok());
}

TEST(ElfFileTest, Rejects32BitBigEndianAndForeignArchitectures) {
  std::string bytes = ReadFileOrDie(kLs);
  std::string elf32 = bytes;
  elf32[4] = 1;
  EXPECT_THAT(ParseElf(elf32, "a").status().ToString(), HasSubstr("32-bit"));
  std::string big = bytes;
  big[5] = 2;
  EXPECT_THAT(ParseElf(big, "a").status().ToString(), HasSubstr("big-endian"));
  std::string arm = bytes;
  arm[18] = static_cast<char>(183);
  arm[19] = 0;
  EXPECT_THAT(ParseElf(arm, "a").status().ToString(), HasSubstr("wrong architecture: aarch64"));
  EXPECT_EQ(MatchElfHeader(arm), ElfMatch::kOtherMachine);
  EXPECT_EQ(MatchElfHeader(elf32), ElfMatch::kOtherClass);
  EXPECT_EQ(MatchElfHeader(bytes), ElfMatch::kMatches);
}

TEST(ElfFileTest, RejectsRelocatableObject) {
  if (!HaveTool("cc")) {
    GTEST_SKIP() << "no cc on PATH";
  }
  TempDir dir;
  absl::StatusOr<ElfFile> elf = ReadElfFile(BuildHello(dir, "object.o", "-c"));
  EXPECT_THAT(elf.status().ToString(), HasSubstr("not an executable or shared library"));
}

TEST(ElfFileTest, ReportsCorruptDynamicSection) {
  std::string bytes = ReadFileOrDie(kLs);
  absl::StatusOr<ElfFile> good = ParseElf(bytes, kLs);
  ASSERT_TRUE(good.ok()) << good.status();
  uint64_t strtab = FindDynamicEntry(bytes, *good, 5);
  ASSERT_NE(strtab, 0u);
  std::string bad = bytes;
  uint64_t nowhere = 0x7ead00000000;
  bad.replace(strtab + 8, 8, reinterpret_cast<const char*>(&nowhere), 8);
  EXPECT_THAT(ParseElf(bad, kLs).status().ToString(),
              HasSubstr("/bin/ls: corrupt dynamic section: DT_STRTAB address"));

  uint64_t needed = FindDynamicEntry(bytes, *good, 1);
  ASSERT_NE(needed, 0u);
  bad = bytes;
  uint64_t far = 0xffffffff;
  bad.replace(needed + 8, 8, reinterpret_cast<const char*>(&far), 8);
  EXPECT_THAT(ParseElf(bad, kLs).status().ToString(), HasSubstr("outside DT_STRTAB"));
}

TEST(ElfFileTest, TruncatedInputIsAnErrorOrTheSameAnswer) {
  std::string bytes = ReadFileOrDie(kLs);
  absl::StatusOr<ElfFile> full = ParseElf(bytes, kLs);
  ASSERT_TRUE(full.ok()) << full.status();
  for (size_t size = 0; size < bytes.size(); size += size < 8192 ? 1 : 331) {
    absl::StatusOr<ElfFile> cut = ParseElf(std::string_view(bytes).substr(0, size), kLs);
    if (size < 64) {
      ASSERT_FALSE(cut.ok()) << size;
    }
    if (cut.ok()) {
      // Whatever parses must be what the whole file says.
      EXPECT_EQ(cut->needed, full->needed) << size;
      EXPECT_EQ(cut->interpreter, full->interpreter) << size;
    } else {
      EXPECT_THAT(std::string(cut.status().message()), StartsWith("/bin/ls: ")) << size;
    }
  }
}

TEST(ElfFileTest, FlippedBytesNeverCrash) {
  std::string bytes = ReadFileOrDie(kLs);
  absl::StatusOr<ElfFile> full = ParseElf(bytes, kLs);
  ASSERT_TRUE(full.ok());
  // Aim at the parts the parser reads: headers, the dynamic section and the
  // string table region, plus anywhere at all.
  uint64_t dynamic = FindDynamicEntry(bytes, *full, 1) & ~uint64_t{0xff};
  std::mt19937_64 random(20240501);
  for (int round = 0; round < 3000; ++round) {
    std::string mutated = bytes;
    int flips = 1 + static_cast<int>(random() % 8);
    for (int i = 0; i < flips; ++i) {
      uint64_t region = random() % 3;
      uint64_t base = region == 0 ? 0 : region == 1 ? dynamic : 0;
      uint64_t span = region == 2 ? mutated.size() : 1024;
      mutated[(base + random() % span) % mutated.size()] ^= static_cast<char>(1 + random() % 255);
    }
    absl::StatusOr<ElfFile> elf = ParseElf(mutated, "mutated");
    if (!elf.ok()) {
      EXPECT_EQ(elf.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
}

TEST(ElfFileTest, MissingFileIsNotFound) {
  EXPECT_EQ(ReadElfFile("/nonexistent/np-elf").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(ReadElfFile("/").status().ToString(), HasSubstr("not a regular file"));
}

}  // namespace
}  // namespace nanoplane::image
