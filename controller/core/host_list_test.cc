#include "controller/core/host_list.h"

#include "controller/core/test_util.h"
#include "gtest/gtest.h"

namespace nanoplane::controller::core {
namespace {

using testing::MakeHost;

TEST(HostListTest, CopiesShareOneVectorUntilAWrite) {
  const HostList list = std::vector<Host>{MakeHost("h1"), MakeHost("h2")};
  HostList copy = list;
  EXPECT_EQ(&copy.get(), &list.get()) << "no copy to read";
  copy[1].ready = false;
  EXPECT_TRUE(list[1].ready) << "the shared vector is never written";
  EXPECT_FALSE(copy[1].ready);
  EXPECT_NE(copy, list);
  HostList owned = std::vector<Host>{MakeHost("h1"), MakeHost("h2")};
  EXPECT_EQ(owned, list) << "compares by value";
  const std::vector<Host>* before = &owned.get();
  owned[0].ready = false;
  EXPECT_EQ(&owned.get(), before) << "its own vector, not shared: written in place";
  EXPECT_TRUE(HostList().empty());
}

TEST(HostListTest, FindsByName) {
  const HostList list =
      std::vector<Host>{MakeHost("h2"), MakeHost("h1"), MakeHost("h1", {{"a", "b"}})};
  ASSERT_NE(list.Find("h1"), nullptr);
  EXPECT_EQ(list.Find("h1"), &list[1]) << "the first of equal names";
  EXPECT_EQ(list.Find("h2"), &list[0]);
  EXPECT_EQ(list.Find("h3"), nullptr);
  EXPECT_EQ(HostList().Find("h1"), nullptr);
}

TEST(HostListTest, FindSeesWritesThroughMutable) {
  HostList list = std::vector<Host>{MakeHost("h1"), MakeHost("h2")};
  const HostList before = list;
  list.Mutable()[0].name = "renamed";
  list.Mutable().push_back(MakeHost("h3"));
  const HostList& after = list;
  EXPECT_EQ(after.Find("h1"), nullptr);
  ASSERT_NE(after.Find("renamed"), nullptr);
  EXPECT_EQ(after.Find("renamed")->name, "renamed");
  ASSERT_NE(after.Find("h3"), nullptr);
  EXPECT_EQ(after.Find("h3"), &after[2]);
  EXPECT_EQ(before.Find("h1"), &before[0]) << "the copy taken before is untouched";
}

}  // namespace
}  // namespace nanoplane::controller::core
