#include "common/strings.h"
#include "common/kube/testing/selectors.h"

#include "gtest/gtest.h"

namespace nanoplane::kube::testing {
namespace {

bool Match(const std::string& selector, const StringMap& labels) {
  auto parsed = ParseLabelSelector(selector);
  EXPECT_TRUE(parsed.ok()) << selector << ": " << parsed.status();
  return parsed.ok() && parsed->Matches(labels);
}

TEST(LabelSelectorTest, EveryOperatorMatchesAsKubernetesDoes) {
  StringMap labels = {{"app", "web"}, {"tier", "front"}};
  EXPECT_TRUE(Match("", labels));
  EXPECT_TRUE(Match("app=web", labels));
  EXPECT_TRUE(Match("app==web", labels));
  EXPECT_FALSE(Match("app!=web", labels));
  EXPECT_TRUE(Match("env!=prod", labels));  // absent key: != holds
  EXPECT_TRUE(Match("app in (db, web)", labels));
  EXPECT_FALSE(Match("app notin (db,web)", labels));
  EXPECT_TRUE(Match("env notin (prod)", labels));
  EXPECT_TRUE(Match("tier", labels));
  EXPECT_FALSE(Match("!tier", labels));
  EXPECT_TRUE(Match("!env", labels));
  EXPECT_TRUE(Match("app=web,tier in (front),!env", labels));
  EXPECT_FALSE(Match("app=web,env", labels));
}

TEST(LabelSelectorTest, BadSyntaxIsABadRequest) {
  EXPECT_FALSE(ParseLabelSelector("app in web").ok());
  EXPECT_FALSE(ParseLabelSelector("=web").ok());
  EXPECT_FALSE(ParseLabelSelector("a b").ok());
}

TEST(FieldSelectorTest, SupportedFieldsOnly) {
  auto s = ParseFieldSelector("metadata.name=web,metadata.namespace!=kube-system",
                              {"metadata.name", "metadata.namespace"});
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->Matches({{"metadata.name", "web"}, {"metadata.namespace", "default"}}));
  EXPECT_FALSE(s->Matches({{"metadata.name", "web"}, {"metadata.namespace", "kube-system"}}));
  ASSERT_NE(s->ExactMatch("metadata.name"), nullptr);
  auto bad = ParseFieldSelector("spec.replicas=3", {"metadata.name"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "field label not supported: spec.replicas");
}

}  // namespace
}  // namespace nanoplane::kube::testing
