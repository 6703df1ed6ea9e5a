#include "controller/core/naming.h"

#include <random>

#include "gtest/gtest.h"

namespace nanoplane::controller::core {
namespace {

const std::string kHash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

// A generator stuck on one value: every random draw collides after the first.
struct StuckGenerator {
  using result_type = uint64_t;
  static constexpr uint64_t min() { return 0; }
  static constexpr uint64_t max() { return ~uint64_t{0}; }
  uint64_t operator()() { return 42; }
};

TEST(NamingTest, NameIsUnikernelHashPrefixAndFiveChars) {
  std::mt19937_64 rng(1);
  std::string name = NewInstanceName("web", kHash, {}, rng);
  ASSERT_EQ(name.size(), std::string("web-0123456789-").size() + 5);
  EXPECT_EQ(name.substr(0, 15), "web-0123456789-");
  EXPECT_EQ(name.find_first_not_of(kNameAlphabet, 15), std::string::npos);
}

TEST(NamingTest, SameSeedSameName) {
  std::mt19937_64 a(7);
  std::mt19937_64 b(7);
  EXPECT_EQ(NewInstanceName("web", kHash, {}, a), NewInstanceName("web", kHash, {}, b));
}

TEST(NamingTest, NeverReturnsATakenNameEvenWhenTheGeneratorRepeats) {
  StuckGenerator rng;
  NameSet taken;
  for (int i = 0; i < 50; ++i) {
    std::string name = NewInstanceName("web", kHash, taken, rng);
    ASSERT_FALSE(taken.contains(name)) << name;
    taken.insert(name);
  }
  EXPECT_EQ(taken.size(), 50u);
}

TEST(NamingTest, LongNamesAreShortenedToADnsLabel) {
  std::mt19937_64 rng(1);
  std::string name = NewInstanceName(std::string(63, 'a'), kHash, {}, rng);
  EXPECT_EQ(name.size(), kMaxNameLength);
  EXPECT_EQ(name.substr(46, 12), "-0123456789-");
}

TEST(NamingTest, EveryNewNameStartsWithThePrefixWhateverTheLengths) {
  std::mt19937_64 rng(3);
  for (const std::string& unikernel : {std::string("web"), std::string(63, 'a')}) {
    for (const std::string& hash : {std::string(kHash), std::string("ab")}) {
      std::string name = NewInstanceName(unikernel, hash, {}, rng);
      EXPECT_TRUE(name.starts_with(InstanceNamePrefix(unikernel))) << name;
    }
  }
  EXPECT_EQ(InstanceNamePrefix("app-1"), "app-1-") << "app-10's names are not app-1's";
}

}  // namespace
}  // namespace nanoplane::controller::core
