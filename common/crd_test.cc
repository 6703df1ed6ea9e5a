#include "common/crd.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/yaml_json.h"

namespace nanoplane {
namespace {

TEST(CrdTest, CommittedCrdsAreWhatTheGeneratorWrites) {
  for (const GeneratedCrd& crd : AllCrds()) {
    std::string path = NP_SOURCE_DIR "/crds/" + crd.file;
    std::ifstream in(path);
    ASSERT_TRUE(in) << path;
    std::stringstream committed;
    committed << in.rdbuf();
    EXPECT_EQ(committed.str(), crd.yaml) << "crds/ is stale: run `nanoplane crd --dir crds`";
  }
}

TEST(CrdTest, GeneratedYamlReadsBackAsTheSameObject) {
  auto documents = ParseYamlDocuments(UnikernelCrdYaml());
  ASSERT_TRUE(documents.ok());
  ASSERT_EQ(documents->size(), 1u);
  EXPECT_EQ(*(*documents)[0], UnikernelCrd());
}

TEST(CrdTest, HasSubresourcesPrinterColumnsAndShortName) {
  Json crd = UnikernelCrd();
  const Json& version = crd["spec"]["versions"][0];
  EXPECT_EQ(crd["metadata"]["name"], "unikernels.nanoplane.dev");
  EXPECT_EQ(crd["spec"]["names"]["shortNames"], Json::array({"uk"}));
  EXPECT_EQ(version["subresources"]["status"], Json::object());
  EXPECT_EQ(version["subresources"]["scale"]["specReplicasPath"], ".spec.replicas");
  EXPECT_EQ(version["subresources"]["scale"]["statusReplicasPath"], ".status.replicas");
  EXPECT_EQ(version["subresources"]["scale"]["labelSelectorPath"], ".status.selector");
  std::vector<std::string> columns;
  for (const Json& column : version["additionalPrinterColumns"]) {
    columns.push_back(column["name"]);
  }
  EXPECT_EQ(columns,
            (std::vector<std::string>{"Desired", "Ready", "Up-to-date", "Available", "Age"}));
}

TEST(CrdTest, HostIsClusterScopedWithStatusAndTheFleetColumns) {
  Json crd = HostCrd();
  const Json& version = crd["spec"]["versions"][0];
  EXPECT_EQ(crd["metadata"]["name"], "hosts.nanoplane.dev");
  EXPECT_EQ(crd["spec"]["scope"], "Cluster");
  EXPECT_EQ(version["subresources"], Json({{"status", Json::object()}}));
  std::vector<std::string> columns;
  for (const Json& column : version["additionalPrinterColumns"]) {
    columns.push_back(column["name"]);
  }
  EXPECT_EQ(columns, (std::vector<std::string>{"Ready", "Accelerator", "Instances", "CPUs",
                                               "Memory", "Age"}));
  const Json& status = version["schema"]["openAPIV3Schema"]["properties"]["status"];
  EXPECT_EQ(status["properties"]["accelerator"]["enum"], Json::array({"KVM", "TCG"}));
  EXPECT_EQ(
      status["properties"]["conditions"]["items"]["properties"]["lastHeartbeatTime"]["format"],
      "date-time");
}

// What the CRD cannot say with types and bounds, it says with CEL rules, so
// that the API server refuses what `nanoplane validate` refuses.
TEST(CrdTest, CrossFieldRulesAreCelValidations) {
  Json root = UnikernelCrd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
  const Json& spec = root["properties"]["spec"]["properties"];
  const Json& rolling = spec["strategy"]["properties"]["rollingUpdate"];
  ASSERT_EQ(rolling["x-kubernetes-validations"].size(), 1u);
  EXPECT_EQ(rolling["x-kubernetes-validations"][0]["message"],
            "maxSurge and maxUnavailable may not both be 0");
  EXPECT_EQ(rolling["properties"]["maxSurge"]["pattern"], "^[0-9]+%$");
  const Json& tmpl = spec["template"];
  EXPECT_EQ(tmpl["x-kubernetes-validations"].size(), 4u);
  EXPECT_EQ(tmpl["properties"]["ports"]["maxItems"], 64);
  const Json& source = tmpl["properties"]["image"]["properties"]["source"];
  EXPECT_EQ(source["x-kubernetes-validations"].size(), 3u);
  EXPECT_EQ(tmpl["properties"]["metadata"]["properties"]["annotations"]["type"], "object");
  // Kubernetes spells initialisms in capitals.
  const Json& ports = root["properties"]["status"]["properties"]["instances"]["items"]["properties"]
                          ["ports"]["items"]["properties"];
  EXPECT_TRUE(ports.contains("hostIP"));
  EXPECT_FALSE(ports.contains("hostIp"));
}

TEST(CrdTest, SchemaCarriesTypesEnumsBoundsDefaultsAndRequiredFields) {
  Json root = UnikernelCrd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
  const Json& spec = root["properties"]["spec"];
  EXPECT_EQ(root["required"], Json::array({"spec"}));
  EXPECT_EQ(spec["required"], Json::array({"template"}));
  EXPECT_EQ(spec["properties"]["replicas"]["type"], "integer");
  EXPECT_EQ(spec["properties"]["replicas"]["minimum"], 0);
  EXPECT_EQ(spec["properties"]["replicas"]["default"], 1);
  EXPECT_EQ(spec["properties"]["progressDeadlineSeconds"]["default"], 600);
  const Json& strategy = spec["properties"]["strategy"]["properties"];
  EXPECT_EQ(strategy["type"]["enum"], Json::array({"RollingUpdate", "Recreate"}));
  EXPECT_EQ(strategy["rollingUpdate"]["properties"]["maxSurge"]["x-kubernetes-int-or-string"],
            true);
  EXPECT_EQ(strategy["rollingUpdate"]["properties"]["maxSurge"]["default"], "25%");
  const Json& tmpl = spec["properties"]["template"];
  EXPECT_EQ(tmpl["required"], Json::array({"image"}));
  EXPECT_EQ(tmpl["properties"]["image"]["required"], Json::array({"program"}));
  EXPECT_EQ(tmpl["properties"]["resources"]["properties"]["memory"]["default"], "256Mi");
  EXPECT_EQ(tmpl["properties"]["ports"]["x-kubernetes-list-map-keys"], Json::array({"port"}));
  EXPECT_EQ(
      tmpl["properties"]["image"]["properties"]["manifest"]["x-kubernetes-preserve-unknown-fields"],
      true);
  EXPECT_EQ(root["properties"]["metadata"], Json({{"type", "object"}}));
}

}  // namespace
}  // namespace nanoplane
