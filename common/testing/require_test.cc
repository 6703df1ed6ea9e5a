#include "common/testing/require.h"

#include <cstdlib>
#include <string>

#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"

namespace nanoplane::test_support {
namespace {

class RequiredTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* saved = std::getenv("NP_REQUIRE");
    had_ = saved != nullptr;
    saved_ = had_ ? saved : "";
  }
  void TearDown() override {
    if (had_) {
      setenv("NP_REQUIRE", saved_.c_str(), 1);
    } else {
      unsetenv("NP_REQUIRE");
    }
  }

 private:
  bool had_ = false;
  std::string saved_;
};

TEST_F(RequiredTest, NamesFromACommaSeparatedList) {
  setenv("NP_REQUIRE", "root, libvirt", 1);
  EXPECT_TRUE(Required("libvirt"));
  EXPECT_TRUE(Required("root"));
  EXPECT_FALSE(Required("lib"));
  EXPECT_FALSE(Required("nanos"));
}

TEST_F(RequiredTest, NothingWhenUnset) {
  unsetenv("NP_REQUIRE");
  EXPECT_FALSE(Required("libvirt"));
}

// What NP_SKIP_UNLESS_AVAILABLE does, seen from outside the test it ends.
struct Outcome {
  bool skipped = false;
  bool failed = false;
};

Outcome RunTheMacro(bool available) {
  ::testing::TestPartResultArray results;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
    [&] { NP_SKIP_UNLESS_AVAILABLE(available, "libvirt", "libvirtd does not answer"); }();
  }
  Outcome outcome;
  for (int i = 0; i < results.size(); ++i) {
    outcome.skipped = outcome.skipped || results.GetTestPartResult(i).skipped();
    outcome.failed = outcome.failed || results.GetTestPartResult(i).failed();
  }
  return outcome;
}

TEST_F(RequiredTest, SkipsWhenNotRequiredAndFailsWhenRequired) {
  unsetenv("NP_REQUIRE");
  Outcome skipped = RunTheMacro(false);
  EXPECT_TRUE(skipped.skipped);
  EXPECT_FALSE(skipped.failed);

  setenv("NP_REQUIRE", "libvirt", 1);
  Outcome failed = RunTheMacro(false);
  EXPECT_TRUE(failed.failed);
  EXPECT_FALSE(failed.skipped);

  Outcome ran = RunTheMacro(true);
  EXPECT_FALSE(ran.failed);
  EXPECT_FALSE(ran.skipped);
}

}  // namespace
}  // namespace nanoplane::test_support
