#include "agent/image/tfs/tuple_text.h"

#include <string>

#include "gtest/gtest.h"

namespace nanoplane::image {
namespace {

Tuple SampleManifest() {
  Tuple env{{"PATH", "/bin:/usr/bin"}, {"GREETING", "hello world"}, {"EMPTY", ""}};
  Tuple klibs{{"tls", Tuple{{"contents", Tuple{{"host", "/rel/klibs/tls"}}}}}};
  return Tuple{
      {"program", "/web"},
      {"arguments", std::vector<Value>{"web", "-listen", ":8080", "a \"quoted\" (arg)"}},
      {"environment", env},
      {"boot", Tuple{{"children", Tuple{{"klib", Tuple{{"children", klibs}}}}}}},
      {"klibs", "bootfs"},
      {"name/with:odd|chars", "#not-a-comment"},
      {"empty_vector", std::vector<Value>{}},
      {"empty_tuple", Tuple{}},
  };
}

TEST(TupleTextTest, FormatsManifestGolden) {
  EXPECT_EQ(FormatTuple(SampleManifest()),
            "(arguments:[web -listen :8080 \"a \\\"quoted\\\" (arg)\"] "
            "boot:(children:(klib:(children:(tls:(contents:(host:/rel/klibs/tls)))))) "
            "empty_tuple:() empty_vector:[] "
            "environment:(EMPTY:\"\" GREETING:\"hello world\" PATH:/bin:/usr/bin) "
            "klibs:bootfs \"name/with:odd|chars\":\"#not-a-comment\" program:/web)");
}

TEST(TupleTextTest, RoundTripsThroughParse) {
  Tuple t = SampleManifest();
  absl::StatusOr<Tuple> parsed = ParseTuple(FormatTuple(t));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, t);
}

TEST(TupleTextTest, ParsesNanosManifestSyntax) {
  absl::StatusOr<Tuple> t = ParseTuple(R"(
    # an ops-style manifest
    (
      children:(bin:(children:(web:(contents:(host:/tmp/web))))   # comment after
                etc:(children:()))
      program : /bin/web
      arguments:[web "two words" x\y]
      environment:(K:"v\"q\\")
      debug:
    ))");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->Find("program")->string(), "/bin/web");
  ASSERT_TRUE(t->Find("arguments")->is_vector());
  EXPECT_EQ(t->Find("arguments")->vector(), (std::vector<Value>{"web", "two words", "x\\y"}));
  EXPECT_EQ(t->FindTuple("environment")->Find("K")->string(), "v\"q\\");
  EXPECT_EQ(t->Find("debug")->string(), "");
  const Tuple* bin = t->FindTuple("children")->FindTuple("bin");
  ASSERT_NE(bin, nullptr);
  EXPECT_EQ(FormatTuple(*bin), "(children:(web:(contents:(host:/tmp/web))))");
}

TEST(TupleTextTest, IntegersAndNullPrintAsStrings) {
  Tuple t{{"n", Value::Integer(42)}, {"m", Value::Integer(7, true)}, {"z", Value::Null()}};
  EXPECT_EQ(FormatTuple(t), "(m:-7 n:42 z:\"\")");
}

TEST(TupleTextTest, RejectsMalformedText) {
  for (const char* bad : {"", "(", "(a)", "(a:b", "[a b", "(a:\"x)", "(a:b) junk", "(a/b:c)",
                          "((a:b))", "[)]", "(a:b]"}) {
    EXPECT_EQ(ParseValue(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(ParseTuple("[a]").ok());
}

TEST(TupleTextTest, RejectsExcessiveNestingWithoutCrashing) {
  std::string deep(100000, '[');
  EXPECT_EQ(ParseValue(deep).status().code(), absl::StatusCode::kInvalidArgument);
  std::string ok = std::string(100, '[') + std::string(100, ']');
  EXPECT_TRUE(ParseValue(ok).ok());
}

}  // namespace
}  // namespace nanoplane::image
