#include "common/codec.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/manifest_reader.h"
#include "common/yaml_json.h"
#include "google/protobuf/util/message_differencer.h"

namespace nanoplane {
namespace {

using google::protobuf::util::MessageDifferencer;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(CodecTest, ObjectToYamlToObjectIsIdentityForEveryExample) {
  ManifestSet set = ReadManifests({std::string(NP_SOURCE_DIR) + "/examples"});
  ASSERT_TRUE(set.ok());
  ASSERT_GE(set.documents.size(), 3u);
  for (const ManifestDocument& doc : set.documents) {
    std::string yaml = JsonToYaml(EncodeMessage(doc.unikernel));
    ManifestSet again = ParseManifests(yaml, "again.yaml");
    ASSERT_TRUE(again.ok()) << yaml;
    ASSERT_EQ(again.documents.size(), 1u);
    EXPECT_TRUE(MessageDifferencer::Equals(doc.unikernel, again.documents[0].unikernel)) << yaml;
    // And the text is stable: encoding the re-read object gives the same YAML.
    EXPECT_EQ(JsonToYaml(EncodeMessage(again.documents[0].unikernel)), yaml);
  }
}

TEST(CodecTest, YamlToObjectToYamlKeepsEveryFieldTheUserWrote) {
  std::string text = ReadText(std::string(NP_SOURCE_DIR) + "/examples/everything.yaml");
  auto documents = ParseYamlDocuments(text);
  ASSERT_TRUE(documents.ok());
  v1alpha1::Unikernel unikernel;
  FieldErrors errors;
  DecodeMessage(*(*documents)[0], unikernel, "", errors);
  ASSERT_TRUE(errors.empty());
  // Compared key-sorted: the free-form manifest map has no order of its own.
  nlohmann::json written = nlohmann::json::parse((*(*documents)[0]).dump());
  nlohmann::json encoded = nlohmann::json::parse(EncodeMessage(unikernel).dump());
  // Every example field is non-default, so the encoding must equal the input
  // except for the forms the codec normalizes (quantities are already canonical).
  EXPECT_EQ(encoded, written) << encoded.dump(2);
}

TEST(CodecTest, UsesKubernetesFormsForQuantitiesPercentagesAndEnums) {
  v1alpha1::Unikernel u;
  u.mutable_spec()->mutable_template_()->mutable_resources()->set_memory(512LL << 20);
  u.mutable_spec()->mutable_strategy()->set_type(v1alpha1::ROLLING_UPDATE);
  u.mutable_spec()
      ->mutable_strategy()
      ->mutable_rolling_update()
      ->mutable_max_surge()
      ->set_string_value("25%");
  u.mutable_spec()
      ->mutable_strategy()
      ->mutable_rolling_update()
      ->mutable_max_unavailable()
      ->set_int_value(0);
  u.mutable_spec()->set_replicas(0);
  Json j = EncodeMessage(u);
  EXPECT_EQ(j["spec"]["template"]["resources"]["memory"], "512Mi");
  EXPECT_EQ(j["spec"]["strategy"]["type"], "RollingUpdate");
  EXPECT_EQ(j["spec"]["strategy"]["rollingUpdate"]["maxSurge"], "25%");
  EXPECT_EQ(j["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"], 0);
  EXPECT_EQ(j["spec"]["replicas"], 0) << "an explicit 0 is kept: replicas has presence";
}

TEST(CodecTest, DecodesEveryProblemWithItsPath) {
  Json j = Json::parse(
      R"({"spec": {"replicas": "x", "template": {"ports": [{"port": 1, "proto": "TCP"}]}}})");
  v1alpha1::Unikernel u;
  FieldErrors errors;
  DecodeMessage(j, u, "", errors);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].path, "spec.replicas");
  EXPECT_EQ(errors[1].path, "spec.template.ports[0].proto");
  EXPECT_EQ(errors[1].message, "unknown field (did you mean \"protocol\"?)");
  EXPECT_EQ(u.spec().template_().ports(0).port(), 1) << "the rest is still decoded";
}

TEST(CodecTest, PassesFreeFormManifestTuplesThrough) {
  Json j =
      Json::parse(R"({"manifest": {"exec_protection": "t", "static_map": {"a": ["b", "c"]}}})");
  v1alpha1::ImageSpec image;
  FieldErrors errors;
  DecodeMessage(j, image, "", errors);
  ASSERT_TRUE(errors.empty());
  EXPECT_EQ(nlohmann::json::parse(EncodeMessage(image)["manifest"].dump()),
            nlohmann::json::parse(j["manifest"].dump()));
}

}  // namespace
}  // namespace nanoplane
