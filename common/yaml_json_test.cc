#include "common/yaml_json.h"

#include <gtest/gtest.h>

namespace nanoplane {
namespace {

Json One(const std::string& text) {
  auto documents = ParseYamlDocuments(text);
  EXPECT_TRUE(documents.ok()) << documents.status();
  EXPECT_EQ(documents->size(), 1u);
  EXPECT_TRUE((*documents)[0].ok()) << (*documents)[0].status();
  return *(*documents)[0];
}

TEST(YamlJsonTest, TypesPlainScalarsByTheCoreSchemaAndQuotedOnesAsStrings) {
  Json j =
      One("a: 8080\nb: '8080'\nc: true\nd: ~\ne: 1.5\nf: 25%\ng: 0x1F\nh: \"true\"\ni: -3\n"
          "j: !!str 12\nk:\nl: 0.1.54\n");
  EXPECT_EQ(j["a"], 8080);
  EXPECT_EQ(j["b"], "8080");
  EXPECT_EQ(j["c"], true);
  EXPECT_TRUE(j["d"].is_null());
  EXPECT_EQ(j["e"], 1.5);
  EXPECT_EQ(j["f"], "25%");
  EXPECT_EQ(j["g"], 31);
  EXPECT_EQ(j["h"], "true");
  EXPECT_EQ(j["i"], -3);
  EXPECT_EQ(j["j"], "12");
  EXPECT_TRUE(j["k"].is_null());
  EXPECT_EQ(j["l"], "0.1.54");
}

TEST(YamlJsonTest, TypesNumbersLikeTheCoreSchema) {
  Json j = One("a: 1e3\nb: .5\nc: 1.\nd: -.inf\ne: +12\nf: 0o17\ng: 1.2.3\nh: 1e\ni: 0x\nj: -x\n");
  EXPECT_EQ(j["a"], 1000.0);
  EXPECT_EQ(j["b"], 0.5);
  EXPECT_EQ(j["c"], 1.0);
  EXPECT_TRUE(j["d"].is_number_float() && j["d"].get<double>() < 0);
  EXPECT_EQ(j["e"], 12);
  EXPECT_EQ(j["f"], 15);
  for (const char* key : {"g", "h", "i", "j"}) {
    EXPECT_TRUE(j[key].is_string()) << key;
  }
}

TEST(YamlJsonTest, KeepsKeyOrder) {
  Json j = One("z: 1\na: 2\nm: 3\n");
  EXPECT_EQ(j.dump(), R"({"z":1,"a":2,"m":3})");
}

TEST(YamlJsonTest, ReadsJsonToo) {
  Json j = One(R"({"spec": {"replicas": 3, "paused": false}})");
  EXPECT_EQ(j["spec"]["replicas"], 3);
}

TEST(YamlJsonTest, SplitsDocumentsAndKeepsEmptyOnesAsNull) {
  auto documents = ParseYamlDocuments("a: 1\n---\n---\nb: 2\n");
  ASSERT_TRUE(documents.ok());
  ASSERT_EQ(documents->size(), 3u);
  EXPECT_TRUE((*(*documents)[1]).is_null());
  EXPECT_EQ((*(*documents)[2])["b"], 2);
}

TEST(YamlJsonTest, SyntaxErrorsNameLineAndColumn) {
  auto documents = ParseYamlDocuments("a: 1\nb: [1, 2\nc: 3\n");
  ASSERT_FALSE(documents.ok());
  EXPECT_NE(documents.status().message().find("line "), std::string::npos)
      << documents.status().message();
}

TEST(YamlJsonTest, RejectsDuplicateKeysInTheirDocument) {
  auto documents = ParseYamlDocuments("a: 1\n---\nb: 1\nb: 2\n");
  ASSERT_TRUE(documents.ok());
  EXPECT_TRUE((*documents)[0].ok());
  ASSERT_FALSE((*documents)[1].ok());
  EXPECT_NE((*documents)[1].status().message().find("duplicate key \"b\""), std::string::npos);
}

TEST(YamlJsonTest, StopsAliasBombsAndDeepNesting) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char previous = 'a';
  for (char c = 'b'; c <= 'k'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) {
      bomb += std::string(i ? ", *" : "*") + previous;
    }
    bomb += "]\n";
    previous = c;
  }
  auto documents = ParseYamlDocuments(bomb);
  ASSERT_TRUE(documents.ok());
  EXPECT_FALSE((*documents)[0].ok());

  std::string deep = std::string(100, '[') + std::string(100, ']');
  auto nested = ParseYamlDocuments(deep);
  EXPECT_TRUE(!nested.ok() || !(*nested)[0].ok());
}

TEST(YamlJsonTest, WritesBlockYamlThatReadsBackEqual) {
  Json j = Json::parse(R"({"s": "8080", "t": "true", "e": "", "n": 1, "b": false, "l": [1, "a"],
                           "o": {}, "a": [], "m": "line1\nline2\n", "x": null, "p": "25%"})");
  std::string yaml = JsonToYaml(j);
  EXPECT_EQ(One(yaml), j) << yaml;
}

}  // namespace
}  // namespace nanoplane

namespace nanoplane {
namespace {

// yaml-cpp 0.7's LoadAll never returns on these; the reader must answer.
TEST(YamlJsonTest, InputThatLoopsYamlCppIsAnError) {
  for (const char* text : {",", "a: 1\n,\n",
                           ",\0\x06"
                           "A#2"}) {
    auto documents = ParseYamlDocuments(text);
    bool error =
        !documents.ok() || std::any_of(documents->begin(), documents->end(),
                                       [](const absl::StatusOr<Json>& d) { return !d.ok(); });
    EXPECT_TRUE(error) << text;
  }
  EXPECT_EQ(ParseYamlDocuments(",").status().message(), "line 1, column 1: unexpected ','");
}

}  // namespace
}  // namespace nanoplane
