#include "common/strings.h"
#include "common/kube/testing/structural_schema.h"

#include "gtest/gtest.h"

namespace nanoplane::kube::testing {
namespace {

const Json kSchema = Json::parse(R"({
  "type": "object",
  "properties": {
    "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
    "spec": {"type": "object", "required": ["program"], "properties": {
      "program": {"type": "string", "minLength": 1},
      "replicas": {"type": "integer", "minimum": 0, "default": 1},
      "maxSurge": {"x-kubernetes-int-or-string": true, "default": "25%"},
      "env": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
      "labels": {"type": "object", "additionalProperties": {"type": "string"}},
      "manifest": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
      "strategy": {"type": "string", "enum": ["RollingUpdate", "Recreate"]}
    }},
    "status": {"type": "object", "properties": {"replicas": {"type": "integer"}}}
  }})");

TEST(StructuralSchemaTest, PrunesUnknownFieldsButKeepsPreservedAndMetadata) {
  Json o = Json::parse(R"({"apiVersion":"x/v1","kind":"K","metadata":{"name":"a","junk":1},
    "spec":{"program":"/p","bogus":1,"env":[{"name":"A","extra":2}],"labels":{"a":"b"},
    "manifest":{"anything":{"goes":1}}},"top":1})");
  Prune(o, kSchema);
  EXPECT_FALSE(o.contains("top"));
  EXPECT_FALSE(o["spec"].contains("bogus"));
  EXPECT_FALSE(o["spec"]["env"][0].contains("extra"));
  EXPECT_EQ(o["spec"]["labels"]["a"], "b");
  EXPECT_EQ(o["spec"]["manifest"]["anything"]["goes"], 1);
  EXPECT_FALSE(o["metadata"].contains("junk"));  // only ObjectMeta's fields stay
  EXPECT_EQ(o["metadata"]["name"], "a");
}

TEST(StructuralSchemaTest, DefaultsAbsentAndNullFields) {
  Json o = Json::parse(R"({"spec":{"program":"/p","replicas":null}})");
  Prune(o, kSchema);
  ApplyDefaults(o, kSchema);
  EXPECT_EQ(o["spec"]["replicas"], 1);
  EXPECT_EQ(o["spec"]["maxSurge"], "25%");
}

TEST(StructuralSchemaTest, TypeErrorsReadAsTheRealServerWritesThem) {
  Json o = Json::parse(R"({"spec":{"program":"/p","replicas":"three","maxSurge":1}})");
  auto causes = Validate(o, kSchema);
  ASSERT_EQ(causes.size(), 1u);
  EXPECT_EQ(causes[0].field, "spec.replicas");
  EXPECT_EQ(causes[0].message,
            "Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"");
}

TEST(StructuralSchemaTest, RequiredMinimumEnumAndLength) {
  Json o = Json::parse(R"({"spec":{"program":"","replicas":-1,"strategy":"Blue"}})");
  auto causes = Validate(o, kSchema);
  ASSERT_EQ(causes.size(), 3u);
  EXPECT_EQ(causes[0].message,
            "Invalid value: \"\": spec.program in body should be at least 1 chars long");
  EXPECT_EQ(causes[1].message,
            "Invalid value: -1: spec.replicas in body should be greater than or equal to 0");
  EXPECT_EQ(causes[2].message,
            "Unsupported value: \"Blue\": supported values: \"RollingUpdate\", \"Recreate\"");
  auto missing = Validate(Json::parse(R"({"spec":{}})"), kSchema);
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].field, "spec.program");
  EXPECT_EQ(missing[0].message, "Required value");
}

}  // namespace
}  // namespace nanoplane::kube::testing
