#include "common/quantity.h"

#include <gtest/gtest.h>

namespace nanoplane {
namespace {

TEST(QuantityTest, ParsesBinaryDecimalAndPlainForms) {
  EXPECT_EQ(*ParseQuantity("256Mi"), 256LL << 20);
  EXPECT_EQ(*ParseQuantity("1Gi"), 1LL << 30);
  EXPECT_EQ(*ParseQuantity("1.5Gi"), 3LL << 29);
  EXPECT_EQ(*ParseQuantity("512M"), 512'000'000LL);
  EXPECT_EQ(*ParseQuantity("2k"), 2000);
  EXPECT_EQ(*ParseQuantity("1048576"), 1048576);
  EXPECT_EQ(*ParseQuantity("0"), 0);
  EXPECT_EQ(*ParseQuantity("7Ei"), 7LL << 60);
}

TEST(QuantityTest, RejectsWhatIsNotAWholeNumberOfBytes) {
  for (const char* bad : {"", "12X", "Mi", "-1Mi", "1.5", "0.1Ki", "1e3", "1..5Mi", " 1Mi", "1Mi ",
                          "8Ei", "99999999999999999999", "1.Mi", "abc"}) {
    EXPECT_FALSE(ParseQuantity(bad).ok()) << bad;
  }
  EXPECT_EQ(ParseQuantity("12X").status().message(),
            "\"12X\" is not a quantity (expected e.g. 256Mi, 1Gi, 512M)");
}

TEST(QuantityTest, FormatsTheShortestExactFormPreferringBinary) {
  EXPECT_EQ(FormatQuantity(256LL << 20), "256Mi");
  EXPECT_EQ(FormatQuantity(1LL << 30), "1Gi");
  EXPECT_EQ(FormatQuantity(1536LL << 20), "1536Mi");
  EXPECT_EQ(FormatQuantity(512'000'000), "500000Ki");
  EXPECT_EQ(FormatQuantity(1'000'000), "1M");
  EXPECT_EQ(FormatQuantity(12345), "12345");
  EXPECT_EQ(FormatQuantity(0), "0");
}

TEST(QuantityTest, FormatThenParseIsIdentity) {
  for (int64_t v : {1LL, 1000LL, 1024LL, 999'999LL, 3LL << 29, 5'000'000'000LL, 1LL << 62}) {
    EXPECT_EQ(*ParseQuantity(FormatQuantity(v)), v) << v;
  }
}

TEST(QuantityTest, ScalesPercentagesRoundingLikeDeployments) {
  EXPECT_EQ(ScaledValue(25, true, 10, /*round_up=*/true), 3);   // maxSurge
  EXPECT_EQ(ScaledValue(25, true, 10, /*round_up=*/false), 2);  // maxUnavailable
  EXPECT_EQ(ScaledValue(25, true, 1, false), 0);
  EXPECT_EQ(ScaledValue(4, false, 10, false), 4);
}

}  // namespace
}  // namespace nanoplane
