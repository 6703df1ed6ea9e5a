#include "cli/table.h"

#include "gtest/gtest.h"

namespace nanoplane::cli {
namespace {

TEST(RenderTableTest, PadsColumnsToTheWidestCellPlusThree) {
  EXPECT_EQ(RenderTable({{"NAME", "AGE"}, {"a-long-name", "5s"}}),
            "NAME          AGE\na-long-name   5s\n");
}

TEST(HumanAgeTest, MatchesKubectl) {
  EXPECT_EQ(HumanAge(absl::Seconds(45)), "45s");
  EXPECT_EQ(HumanAge(absl::Seconds(119)), "119s");
  EXPECT_EQ(HumanAge(absl::Seconds(330)), "5m30s");
  EXPECT_EQ(HumanAge(absl::Minutes(45)), "45m");
  EXPECT_EQ(HumanAge(absl::Minutes(200)), "3h20m");
  EXPECT_EQ(HumanAge(absl::Hours(36)), "36h");
  EXPECT_EQ(HumanAge(absl::Hours(77)), "3d5h");
  EXPECT_EQ(HumanAge(absl::Hours(24 * 200)), "200d");
  EXPECT_EQ(HumanAge(absl::Hours(24 * 800)), "2y");
}

TEST(FormatBytesTest, UsesBinaryUnits) {
  EXPECT_EQ(FormatBytes(256 << 20), "256Mi");
  EXPECT_EQ(FormatBytes(int64_t{8} << 30), "8Gi");
  EXPECT_EQ(FormatBytes(1000), "1000");
  EXPECT_EQ(FormatBytes(25276514304), "23.5Gi");
  EXPECT_EQ(FormatBytes((int64_t{3} << 20) + 1), "3.0Mi");
}

}  // namespace
}  // namespace nanoplane::cli
