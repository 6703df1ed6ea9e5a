#include "cli/validate_command.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace nanoplane::cli {
namespace {

TEST(ValidateCommandTest, ExamplesAreValid) {
  std::ostringstream out, err;
  EXPECT_EQ(RunValidate({NP_SOURCE_DIR "/examples"}, OutputFormat::kSummary, out, err), 0)
      << err.str();
  EXPECT_NE(out.str().find("Unikernels valid"), std::string::npos) << out.str();
  EXPECT_EQ(err.str(), "");
}

TEST(ValidateCommandTest, ListsEveryErrorAndFails) {
  std::string path = testing::TempDir() + "/bad.yaml";
  std::ofstream(path) << "apiVersion: nanoplane.dev/v1alpha1\nkind: Unikernel\n"
                         "metadata: {name: Bad}\nspec: {replicas: -1, template: {image: {}}}\n";
  std::ostringstream out, err;
  EXPECT_EQ(RunValidate({path}, OutputFormat::kSummary, out, err), 1);
  EXPECT_EQ(err.str(), "error: " + path +
                           "[0] metadata.name: \"Bad\" must consist of lower case alphanumeric "
                           "characters or '-' (a DNS-1123 label)\n"
                           "error: " +
                           path +
                           "[0] spec.replicas: -1 is out of range 0-100000\n"
                           "error: " +
                           path +
                           "[0] spec.template.image.program: is required\n"
                           "3 errors in 1 file\n");
  std::remove(path.c_str());
}

TEST(ValidateCommandTest, PrintsDefaultedObjectsAsYaml) {
  std::ostringstream out, err;
  ASSERT_EQ(RunValidate({NP_SOURCE_DIR "/examples/hello.yaml"}, OutputFormat::kYaml, out, err), 0);
  EXPECT_NE(out.str().find("progressDeadlineSeconds: 600"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace nanoplane::cli
