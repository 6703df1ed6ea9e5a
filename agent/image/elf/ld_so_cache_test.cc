#include "agent/image/elf/ld_so_cache.h"

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "agent/image/elf/test_support.h"
#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nanoplane::image {
namespace {

using ::nanoplane::image::testing::ReadFileOrDie;
using ::nanoplane::image::testing::RunShell;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kHostCache[] = "/etc/ld.so.cache";
constexpr uint32_t kX8664 = 0x0303;  // libc6, x86-64
constexpr uint32_t kI386 = 0x0003;   // libc6, no 64-bit flag

struct RawEntry {
  uint32_t flags;
  std::string soname;
  std::string path;
  uint64_t hwcap = 0;
};

void Put32(std::string& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) {
    out.push_back(static_cast<char>(value >> (8 * i)));
  }
}

void Put64(std::string& out, uint64_t value) {
  Put32(out, static_cast<uint32_t>(value));
  Put32(out, static_cast<uint32_t>(value >> 32));
}

// A "glibc-ld.so.cache1.1" table as ldconfig lays it out: header, entries,
// then strings, with string offsets counted from the header.
std::string NewFormat(const std::vector<RawEntry>& entries) {
  std::string strings;
  std::vector<std::pair<uint32_t, uint32_t>> offsets;
  uint32_t base = 48 + 24 * static_cast<uint32_t>(entries.size());
  for (const RawEntry& entry : entries) {
    uint32_t key = base + static_cast<uint32_t>(strings.size());
    strings += entry.soname + '\0';
    uint32_t value = base + static_cast<uint32_t>(strings.size());
    strings += entry.path + '\0';
    offsets.emplace_back(key, value);
  }
  std::string out = "glibc-ld.so.cache1.1";
  Put32(out, static_cast<uint32_t>(entries.size()));
  Put32(out, static_cast<uint32_t>(strings.size()));
  out.append(20, '\0');  // flags, padding, extension offset, unused
  for (size_t i = 0; i < entries.size(); ++i) {
    Put32(out, entries[i].flags);
    Put32(out, offsets[i].first);
    Put32(out, offsets[i].second);
    Put32(out, 0);
    Put64(out, entries[i].hwcap);
  }
  return out + strings;
}

// The legacy "ld.so-1.7.0" table (no strings of its own here) followed by a
// new-format table at the next 8-byte boundary.
std::string OldThenNew(const std::vector<RawEntry>& entries, uint32_t old_count) {
  std::string out = "ld.so-1.7.0";
  out.push_back('\0');
  Put32(out, old_count);
  out.append(12 * old_count, '\0');
  out.append((8 - out.size() % 8) % 8, '\0');
  return out + NewFormat(entries);
}

TEST(LdSoCacheTest, KeepsOnlyBaselineX8664EntriesInOrder) {
  std::string bytes = NewFormat({
      {kI386, "libc.so.6", "/lib/i386-linux-gnu/libc.so.6"},
      {kX8664, "libc.so.6", "/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libc.so.6",
       uint64_t{1} << 62},
      {kX8664, "libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6"},
      {kX8664, "libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1"},
      {kX8664, "libz.so.1", "/usr/local/lib/libz.so.1"},
  });
  absl::StatusOr<LdSoCache> cache = LdSoCache::Parse(bytes, "test-cache");
  ASSERT_TRUE(cache.ok()) << cache.status();
  EXPECT_EQ(cache->Lookup("libc.so.6"), "/lib/x86_64-linux-gnu/libc.so.6");
  EXPECT_EQ(cache->Lookup("libz.so.1"), "/lib/x86_64-linux-gnu/libz.so.1");
  EXPECT_EQ(cache->Lookup("libm.so.6"), std::nullopt);
  EXPECT_EQ(cache->entries().size(), 3u);
}

TEST(LdSoCacheTest, SkipsTheLegacyTableInFrontOfTheNewOne) {
  for (uint32_t old_count : {0u, 1u, 2u, 5u}) {
    absl::StatusOr<LdSoCache> cache = LdSoCache::Parse(
        OldThenNew({{kX8664, "libfoo.so.1", "/opt/lib/libfoo.so.1"}}, old_count), "combined");
    ASSERT_TRUE(cache.ok()) << cache.status();
    EXPECT_THAT(cache->entries(),
                ElementsAre(LdSoCacheEntry{"libfoo.so.1", "/opt/lib/libfoo.so.1"}));
  }
}

TEST(LdSoCacheTest, RejectsBadMagicAndTruncationNamingTheFile) {
  EXPECT_THAT(LdSoCache::Parse("not a cache", "/etc/ld.so.cache").status().ToString(),
              HasSubstr("/etc/ld.so.cache: not an ld.so.cache"));
  std::string bytes = NewFormat({{kX8664, "libc.so.6", "/lib/libc.so.6"}});
  for (size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_FALSE(LdSoCache::Parse(bytes.substr(0, size), "cut").ok()) << size;
  }
}

TEST(LdSoCacheTest, MatchesLdconfigOnTheHostCache) {
  std::string bytes = ReadFileOrDie(kHostCache);
  absl::StatusOr<LdSoCache> cache = LdSoCache::Parse(bytes, kHostCache);
  ASSERT_TRUE(cache.ok()) << cache.status();
  auto listing = RunShell("PATH=$PATH:/sbin:/usr/sbin ldconfig -p");
  if (listing.exit_code != 0) {
    GTEST_SKIP() << "ldconfig -p failed: " << listing.output;
  }
  // ldconfig prints "\tlibz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1";
  // hwcap entries carry an extra ", hwcap: ..." inside the parentheses.
  std::set<std::pair<std::string, std::string>> expected;
  for (std::string_view line : StrSplit(listing.output, '\n')) {
    line = testing::Trim(line);
    size_t tag = line.find(" (libc6,x86-64) => ");
    if (tag == line.npos) {
      continue;
    }
    expected.emplace(
        std::string(line.substr(0, tag)),
        std::string(line.substr(tag + std::string_view(" (libc6,x86-64) => ").size())));
  }
  std::set<std::pair<std::string, std::string>> actual;
  for (const LdSoCacheEntry& entry : cache->entries()) {
    actual.emplace(entry.soname, entry.path);
  }
  EXPECT_EQ(actual, expected);
  EXPECT_TRUE(cache->Lookup("libc.so.6").has_value());
}

TEST(LdSoCacheTest, MissingFileIsAnEmptyCache) {
  absl::StatusOr<LdSoCache> cache = LdSoCache::Load("/nonexistent/ld.so.cache");
  ASSERT_TRUE(cache.ok()) << cache.status();
  EXPECT_TRUE(cache->entries().empty());
}

TEST(LdSoCacheTest, DamagedHostCacheNeverCrashes) {
  std::string bytes = ReadFileOrDie(kHostCache);
  for (size_t size = 0; size < bytes.size(); size += 1 + size / 64) {
    (void)LdSoCache::Parse(std::string_view(bytes).substr(0, size), "cut").ok();
  }
  std::mt19937_64 random(7);
  for (int round = 0; round < 2000; ++round) {
    std::string mutated = bytes;
    for (int i = 0; i < 4; ++i) {
      size_t at =
          random() % (round % 2 == 0 ? std::min<size_t>(mutated.size(), 4096) : mutated.size());
      mutated[at] ^= static_cast<char>(1 + random() % 255);
    }
    absl::StatusOr<LdSoCache> cache = LdSoCache::Parse(mutated, "mutated");
    if (!cache.ok()) {
      EXPECT_EQ(cache.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
}

}  // namespace
}  // namespace nanoplane::image
