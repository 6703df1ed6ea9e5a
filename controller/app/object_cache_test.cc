#include "controller/app/object_cache.h"

#include "gtest/gtest.h"

namespace nanoplane::controller::app {
namespace {

v1alpha1::Unikernel Object(const std::string& name, const std::string& version,
                           const std::string& ns = "") {
  v1alpha1::Unikernel object;
  object.mutable_metadata()->set_name(name);
  object.mutable_metadata()->set_namespace_(ns);
  object.mutable_metadata()->set_resource_version(version);
  return object;
}

std::string VersionOf(const ObjectCache& cache, const std::string& name) {
  ObjectCache::Object object = cache.Get({.name = name});
  return object == nullptr ? "absent" : object->metadata().resource_version();
}

TEST(ObjectCacheTest, ReplaceHoldsExactlyTheList) {
  ObjectCache cache;
  cache.Replace({Object("a", "1"), Object("b", "2", "other")});
  EXPECT_EQ(VersionOf(cache, "a"), "1") << "an unset namespace is \"default\"";
  ASSERT_NE(cache.Get({.ns = "other", .name = "b"}), nullptr);
  EXPECT_EQ(cache.Get({.name = "b"}), nullptr);
  cache.Replace({Object("b", "3")});
  EXPECT_EQ(VersionOf(cache, "a"), "absent") << "a relist drops what is gone";
  EXPECT_EQ(VersionOf(cache, "b"), "3");
  EXPECT_EQ(cache.size(), 1u);
}

TEST(ObjectCacheTest, AppliesWatchEvents) {
  ObjectCache cache;
  cache.Apply({.type = ports::WatchEventType::kAdded, .object = Object("a", "5")});
  EXPECT_EQ(VersionOf(cache, "a"), "5");
  cache.Apply({.type = ports::WatchEventType::kModified, .object = Object("a", "6")});
  EXPECT_EQ(VersionOf(cache, "a"), "6");
  cache.Apply({.type = ports::WatchEventType::kDeleted, .object = Object("a", "7")});
  EXPECT_EQ(VersionOf(cache, "a"), "absent");
}

TEST(ObjectCacheTest, OurWritesGoInAtOnceAndAreNotUndoneByOlderEvents) {
  ObjectCache cache;
  cache.Replace({Object("a", "9")});
  cache.Wrote(Object("a", "12"));
  EXPECT_EQ(VersionOf(cache, "a"), "12");
  // The watch catches up with the writes before ours.
  cache.Apply({.type = ports::WatchEventType::kModified, .object = Object("a", "10")});
  EXPECT_EQ(VersionOf(cache, "a"), "12");
  cache.Apply({.type = ports::WatchEventType::kModified, .object = Object("a", "13")});
  EXPECT_EQ(VersionOf(cache, "a"), "13");
  cache.Wrote(Object("a", "12"));
  EXPECT_EQ(VersionOf(cache, "a"), "13") << "an older write does not replace a newer event";
}

TEST(ObjectCacheTest, AWriteDoesNotBringBackWhatTheWatchDeleted) {
  ObjectCache cache;
  cache.Replace({Object("a", "1")});
  cache.Apply({.type = ports::WatchEventType::kDeleted, .object = Object("a", "3")});
  cache.Wrote(Object("a", "2"));
  EXPECT_EQ(VersionOf(cache, "a"), "absent");
  cache.Wrote(Object("never-listed", "4"));
  EXPECT_EQ(VersionOf(cache, "never-listed"), "absent");
}

TEST(ObjectCacheTest, ReadersKeepTheirCopy) {
  ObjectCache cache;
  cache.Replace({Object("a", "1")});
  ObjectCache::Object held = cache.Get({.name = "a"});
  cache.Apply({.type = ports::WatchEventType::kDeleted, .object = Object("a", "2")});
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->metadata().resource_version(), "1");
}

TEST(ObjectCacheTest, DropsTheStatusOfTheVersionConvertedOnly) {
  ObjectCache cache;
  v1alpha1::Unikernel object = Object("a", "4");
  object.mutable_spec()->set_replicas(3);
  object.mutable_metadata()->add_finalizers("nanoplane.dev/instances");
  object.mutable_status()->set_ready_replicas(3);
  cache.Replace({object});
  cache.DropStatus({.name = "a"}, "3");
  EXPECT_TRUE(cache.Get({.name = "a"})->has_status()) << "another version";
  ObjectCache::Object held = cache.Get({.name = "a"});
  cache.DropStatus({.name = "a"}, "4");
  ObjectCache::Object stripped = cache.Get({.name = "a"});
  EXPECT_FALSE(stripped->has_status());
  EXPECT_EQ(stripped->spec().replicas(), 3);
  EXPECT_EQ(stripped->metadata().finalizers(0), "nanoplane.dev/instances");
  EXPECT_EQ(stripped->metadata().resource_version(), "4");
  EXPECT_TRUE(held->has_status()) << "a reader's copy does not change";
}

TEST(NewerVersionTest, ComparesIntegersAndLetsOpaqueVersionsWin) {
  EXPECT_TRUE(NewerVersion("10", "9")) << "numerically, not as text";
  EXPECT_FALSE(NewerVersion("9", "10"));
  EXPECT_FALSE(NewerVersion("7", "7"));
  EXPECT_TRUE(NewerVersion("abc", "7"));
  EXPECT_TRUE(NewerVersion("7", ""));
}

}  // namespace
}  // namespace nanoplane::controller::app
