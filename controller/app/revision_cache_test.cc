// RevisionCache over a FakeStore that counts its lists: one List per
// Unikernel, then the cache's own copy kept in step with the writes made
// through it, and a fresh List after a failed write.

#include "controller/app/revision_cache.h"

#include <gtest/gtest.h>

#include <atomic>

#include "controller/testing/fake_store.h"
#include "controller/testing/store_test_harness.h"

namespace nanoplane::controller::app {
namespace {

class CountingStore : public FakeStore {
 public:
  absl::StatusOr<std::vector<ports::RevisionRecord>> ListRevisions(
      const ports::ObjectKey& key) override {
    ++lists;
    return FakeStore::ListRevisions(key);
  }
  std::atomic<int> lists{0};
};

class RevisionCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<v1alpha1::Unikernel> web = store_.Create(MakeUnikernel("web"));
    ASSERT_TRUE(web.ok()) << web.status();
    uid_ = web->metadata().uid();
  }

  ports::RevisionRecord Revision(int64_t number, const std::string& hash) {
    return {.unikernel = key_, .unikernel_uid = uid_, .number = number, .hash = hash,
            .template_json = "{}"};
  }

  std::vector<std::string> Hashes() {
    absl::StatusOr<std::vector<ports::RevisionRecord>> list = cache_.List(key_);
    EXPECT_TRUE(list.ok()) << list.status();
    std::vector<std::string> hashes;
    for (const ports::RevisionRecord& r : list.value_or(std::vector<ports::RevisionRecord>{})) {
      hashes.push_back(r.hash);
    }
    return hashes;
  }

  CountingStore store_;
  RevisionCache cache_{store_};
  const ports::ObjectKey key_{.ns = "default", .name = "web"};
  std::string uid_;
};

TEST_F(RevisionCacheTest, ListsOnceThenFollowsItsOwnWrites) {
  EXPECT_TRUE(Hashes().empty());
  ASSERT_TRUE(cache_.Create(Revision(1, "aaa")).ok());
  ASSERT_TRUE(cache_.Create(Revision(2, "bbb")).ok());
  EXPECT_EQ(Hashes(), (std::vector<std::string>{"aaa", "bbb"}));
  // Undo: revision aaa becomes number 3, and the order follows.
  ASSERT_TRUE(cache_.Update(Revision(3, "aaa")).ok());
  EXPECT_EQ(Hashes(), (std::vector<std::string>{"bbb", "aaa"}));
  ASSERT_TRUE(cache_.Delete(key_, "bbb").ok());
  EXPECT_EQ(Hashes(), std::vector<std::string>{"aaa"});
  EXPECT_EQ(store_.lists, 1) << "every pass after the first reads the cache";
  // And the cache agrees with the store.
  absl::StatusOr<std::vector<ports::RevisionRecord>> stored = store_.ListRevisions(key_);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, cache_.List(key_).value());
}

TEST_F(RevisionCacheTest, AFailedWriteForgetsTheEntry) {
  ASSERT_TRUE(cache_.Create(Revision(1, "aaa")).ok());
  EXPECT_EQ(Hashes(), std::vector<std::string>{"aaa"});
  EXPECT_EQ(store_.lists, 1);
  // Another revision with the number: the store refuses it.
  EXPECT_EQ(cache_.Create(Revision(1, "bbb")).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Hashes(), std::vector<std::string>{"aaa"});
  EXPECT_EQ(store_.lists, 2) << "listed again after the failure";
  EXPECT_EQ(cache_.Delete(key_, "zzz").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Hashes(), std::vector<std::string>{"aaa"});
  EXPECT_EQ(store_.lists, 3);
}

TEST_F(RevisionCacheTest, ForgetDropsTheEntry) {
  EXPECT_TRUE(Hashes().empty());
  EXPECT_EQ(cache_.size(), 1u);
  cache_.Forget(key_);
  EXPECT_EQ(cache_.size(), 0u);
  EXPECT_TRUE(Hashes().empty());
  EXPECT_EQ(store_.lists, 2);
}

}  // namespace
}  // namespace nanoplane::controller::app
