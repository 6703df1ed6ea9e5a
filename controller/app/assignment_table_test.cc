#include "controller/app/assignment_table.h"

#include "controller/app/testing_fake_hub.h"
#include "gtest/gtest.h"

namespace nanoplane::controller::app {
namespace {

AssignedInstance Instance(const std::string& unikernel, const std::string& name,
                          const std::string& host) {
  AssignedInstance instance{.key = {.name = unikernel}, .host = host};
  auto identity = std::make_shared<agent::v1::InstanceIdentity>();
  identity->set_name(name);
  identity->set_spec_hash("abc");
  instance.assignment.identity = std::move(identity);
  return instance;
}

std::vector<std::string> Names(const std::vector<AssignedCopy>& copies) {
  std::vector<std::string> names;
  for (const AssignedCopy& copy : copies) {
    names.push_back(copy.name());
  }
  return names;
}

TEST(AssignmentTableTest, CopiesOfAKeyAreSharedUntilOneOfItsInstancesChanges) {
  testing::FakeAgentHub hub;
  AssignmentTable table(hub);
  ASSERT_TRUE(table.Start(Instance("web", "web-b", "h1")).ok());
  ASSERT_TRUE(table.Start(Instance("web", "web-a", "h2")).ok());
  ASSERT_TRUE(table.Start(Instance("db", "db-a", "h1")).ok());

  auto web = table.CopiesOfKey({.name = "web"});
  auto db = table.CopiesOfKey({.name = "db"});
  EXPECT_EQ(Names(*web), (std::vector<std::string>{"web-a", "web-b"})) << "sorted by name";
  EXPECT_EQ((*web)[0].host, "h2");
  EXPECT_EQ((*web)[0].identity->spec_hash(), "abc");
  EXPECT_GT((*web)[0].generation, 0) << "sent";
  EXPECT_EQ(table.CopiesOfKey({.name = "web"}), web) << "nothing changed: the same copies";

  table.Stop("h1", "web-b");
  auto stopped = table.CopiesOfKey({.name = "web"});
  EXPECT_NE(stopped, web);
  EXPECT_TRUE((*stopped)[1].stop_requested);
  EXPECT_FALSE((*web)[1].stop_requested) << "copies taken before do not change";
  EXPECT_EQ(table.CopiesOfKey({.name = "db"}), db) << "another key's copies stay";

  table.Delete("h1", "web-b");
  EXPECT_EQ(Names(*table.CopiesOfKey({.name = "web"})), (std::vector<std::string>{"web-a"}));
  table.Delete("h2", "web-a");
  EXPECT_TRUE(table.CopiesOfKey({.name = "web"})->empty());
  EXPECT_TRUE(table.CopiesOfKey({.name = "unknown"})->empty());
}

TEST(AssignmentTableTest, InstancesOfARevisionShareOneTemplateAndTheAgentGetsItWhole) {
  testing::FakeAgentHub hub;
  AssignmentTable table(hub);
  AssignedInstance first = Instance("web", "web-a", "h1");
  AssignedInstance second = Instance("web", "web-b", "h1");
  for (AssignedInstance* instance : {&first, &second}) {
    auto tmpl = std::make_shared<v1alpha1::UnikernelTemplate>();
    tmpl->mutable_image()->set_program("/web");
    instance->assignment.tmpl = std::move(tmpl);  // decoded apart, equal
  }
  ASSERT_TRUE(table.Start(std::move(first)).ok());
  std::shared_ptr<const v1alpha1::UnikernelTemplate> shared = table.SharedTemplate("abc");
  ASSERT_NE(shared, nullptr);
  ASSERT_TRUE(table.Start(std::move(second)).ok());
  for (const AssignedInstance& instance : table.ForKey({.name = "web"})) {
    EXPECT_EQ(instance.assignment.tmpl, shared) << instance.name();
  }
  std::optional<agent::v1::Assignment> sent = hub.AssignmentFor("h1");
  ASSERT_TRUE(sent.has_value());
  ASSERT_EQ(sent->instances_size(), 2);
  EXPECT_EQ(sent->instances(1).identity().name(), "web-b");
  EXPECT_EQ(sent->instances(1).template_().image().program(), "/web");
  EXPECT_EQ(table.SharedTemplate("other"), nullptr);
}

TEST(AssignmentTableTest, ContainsNamesOnAnyHost) {
  testing::FakeAgentHub hub;
  AssignmentTable table(hub);
  ASSERT_TRUE(table.Start(Instance("web", "web-a", "h1")).ok());
  EXPECT_TRUE(table.Contains("web-a"));
  EXPECT_FALSE(table.Contains("web-b"));
  EXPECT_EQ(table.Start(Instance("web", "web-a", "h2")).code(), absl::StatusCode::kAlreadyExists);
  table.Delete("h1", "web-a");
  EXPECT_FALSE(table.Contains("web-a"));
}

}  // namespace
}  // namespace nanoplane::controller::app
