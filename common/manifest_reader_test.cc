#include "common/manifest_reader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace nanoplane {
namespace {

namespace fs = std::filesystem;

constexpr const char* kHello = R"(apiVersion: nanoplane.dev/v1alpha1
kind: Unikernel
metadata: {name: NAME}
spec: {template: {image: {program: /hello}}}
)";

std::string Hello(const std::string& name) {
  std::string text = kHello;
  text.replace(text.find("NAME"), 4, name);
  return text;
}

class TempDir {
 public:
  TempDir()
      : path_(fs::temp_directory_path() /
              ("np-manifests-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string Write(const std::string& relative, const std::string& text) const {
    fs::path file = path_ / relative;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
    return file.string();
  }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

std::vector<std::string> Strings(const std::vector<ManifestError>& errors) {
  std::vector<std::string> out;
  for (const ManifestError& e : errors) {
    out.push_back(e.ToString());
  }
  return out;
}

TEST(ManifestReaderTest, ErrorsNameFileDocumentAndFieldPath) {
  std::string text = Hello("a") + "---\n" +
                     "apiVersion: nanoplane.dev/v1alpha1\nkind: Unikernel\nmetadata: {name: b}\n"
                     "spec: {template: {image: {program: /b}, ports: [{port: 70000}]}}\n";
  ManifestSet set = ParseManifests(text, "web.yaml");
  EXPECT_EQ(Strings(set.errors),
            std::vector<std::string>{
                "web.yaml[1] spec.template.ports[0].port: 70000 is out of range 1-65535"});
  ASSERT_EQ(set.documents.size(), 1u);
  EXPECT_EQ(set.documents[0].unikernel.metadata().name(), "a");
}

TEST(ManifestReaderTest, SyntaxErrorsAreFileLevelWithLine) {
  ManifestSet set = ParseManifests("a: [1,\n", "broken.yaml");
  ASSERT_EQ(set.errors.size(), 1u);
  EXPECT_EQ(set.errors[0].document, std::nullopt);
  EXPECT_TRUE(set.errors[0].ToString().starts_with("broken.yaml: line "))
      << set.errors[0].ToString();
}

TEST(ManifestReaderTest, SkipsEmptyDocumentsButKeepsTheirIndex) {
  ManifestSet set = ParseManifests("---\n" + Hello("a") + "---\n---\n" + Hello("B"), "x.yaml");
  ASSERT_EQ(set.documents.size(), 1u);
  // A leading "---" opens the first document; the empty one between counts.
  EXPECT_EQ(set.documents[0].document, 0u);
  ASSERT_EQ(set.errors.size(), 1u);
  EXPECT_EQ(set.errors[0].document, 2u);
}

TEST(ManifestReaderTest, ANonObjectDocumentIsAnError) {
  ManifestSet set = ParseManifests("just text\n", "x.yaml");
  EXPECT_EQ(Strings(set.errors),
            std::vector<std::string>{"x.yaml[0]: expected an object, got string"});
}

TEST(ManifestReaderTest, ReadsDirectoriesRecursivelyInNameOrderSkippingHiddenAndOtherFiles) {
  TempDir dir;
  dir.Write("b.yaml", Hello("b"));
  dir.Write("a/c.yml", Hello("c"));
  dir.Write("d.json", R"({"apiVersion": "nanoplane.dev/v1alpha1", "kind": "Unikernel",
      "metadata": {"name": "d"}, "spec": {"template": {"image": {"program": "/d"}}}})");
  dir.Write(".git/e.yaml", "not: [valid");
  dir.Write("README.md", "# not a manifest");
  ManifestSet set = ReadManifests({dir.path()});
  ASSERT_TRUE(set.ok()) << Strings(set.errors)[0];
  std::vector<std::string> names;
  for (const auto& doc : set.documents) {
    names.push_back(doc.unikernel.metadata().name());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"c", "b", "d"}));
}

TEST(ManifestReaderTest, AUnikernelDefinedTwiceIsAnError) {
  TempDir dir;
  std::string first = dir.Write("one.yaml", Hello("web"));
  std::string second = dir.Write("two.yaml", Hello("web"));
  ManifestSet set = ReadManifests({dir.path()});
  ASSERT_EQ(set.errors.size(), 1u);
  EXPECT_EQ(
      set.errors[0].ToString(),
      second + "[0] metadata.name: Unikernel default/web is also defined in " + first + "[0]");
}

TEST(ManifestReaderTest, AMissingPathIsAnError) {
  ManifestSet set = ReadManifests({"/nonexistent/web.yaml"});
  EXPECT_EQ(Strings(set.errors),
            std::vector<std::string>{"/nonexistent/web.yaml: no such file or directory"});
}

TEST(ManifestReaderTest, ForApplyLeavesOutTheReplicasAndPauseADocumentDoesNotSay) {
  ManifestSet set = ParseManifests(
      "{apiVersion: nanoplane.dev/v1alpha1, kind: Unikernel, metadata: {name: web},"
      " spec: {template: {image: {program: /web}}}}",
      "web.yaml");
  ASSERT_TRUE(set.ok());
  const ManifestDocument& doc = set.documents.at(0);
  EXPECT_EQ(doc.unikernel.spec().replicas(), 1);  // defaulted
  EXPECT_FALSE(doc.written.spec().has_replicas());
  v1alpha1::Unikernel sent = ForApply(doc);
  EXPECT_FALSE(sent.spec().has_replicas());
  EXPECT_FALSE(sent.spec().has_paused());
  EXPECT_EQ(sent.spec().template_().restart_policy(),
            doc.unikernel.spec().template_().restart_policy());

  set = ParseManifests(
      "{apiVersion: nanoplane.dev/v1alpha1, kind: Unikernel, metadata: {name: web},"
      " spec: {replicas: 3, paused: false, template: {image: {program: /web}}}}",
      "web.yaml");
  ASSERT_TRUE(set.ok());
  sent = ForApply(set.documents.at(0));
  EXPECT_EQ(sent.spec().replicas(), 3);
  EXPECT_TRUE(sent.spec().has_paused());
}

}  // namespace
}  // namespace nanoplane
