#include "controller/core/revisions.h"

#include "controller/core/test_util.h"
#include "gtest/gtest.h"

namespace nanoplane::controller::core {
namespace {

using testing::At;
using testing::MakeRevision;
using testing::MakeTemplate;

const Template kA = MakeTemplate("a");
const Template kB = MakeTemplate("b");
const Template kC = MakeTemplate("c");

TEST(RevisionsTest, FirstTemplateBecomesRevisionOne) {
  RevisionSync sync = SyncUpdateRevision(kA, {}, At(5));
  Revision want = MakeRevision(1, kA, At(5));
  EXPECT_EQ(sync.update, want);
  EXPECT_EQ(sync.actions, (std::vector<Action>{CreateRevision{want}}));
  EXPECT_EQ(sync.history, (std::vector<Revision>{want}));
}

TEST(RevisionsTest, CurrentTemplateChangesNothing) {
  std::vector<Revision> history = {MakeRevision(1, kA), MakeRevision(2, kB)};
  RevisionSync sync = SyncUpdateRevision(kB, history, At(9));
  EXPECT_EQ(sync.update, history[1]);
  EXPECT_TRUE(sync.actions.empty());
  EXPECT_EQ(sync.history, history);
}

TEST(RevisionsTest, NewTemplateGetsTheNextNumber) {
  std::vector<Revision> history = {MakeRevision(1, kA), MakeRevision(4, kB)};
  RevisionSync sync = SyncUpdateRevision(kC, history, At(9));
  EXPECT_EQ(sync.update, MakeRevision(5, kC, At(9)));
  EXPECT_EQ(sync.actions, (std::vector<Action>{CreateRevision{MakeRevision(5, kC, At(9))}}));
}

TEST(RevisionsTest, ReapplyingAnOldTemplateMovesItToANewNumberLikeUndo) {
  std::vector<Revision> history = {MakeRevision(1, kA), MakeRevision(2, kB)};
  RevisionSync sync = SyncUpdateRevision(kA, history, At(9));
  Revision moved = MakeRevision(3, kA);
  moved.progress_time = At(9);  // a new rollout starts its deadline clock
  EXPECT_EQ(sync.update, moved);
  EXPECT_EQ(sync.actions, (std::vector<Action>{UpdateRevision{moved}}));
  EXPECT_EQ(sync.history, (std::vector<Revision>{moved, MakeRevision(2, kB)}));
}

TEST(RevisionsTest, PruneKeepsTheNewestUnusedUpToTheLimit) {
  std::vector<Revision> history;
  for (int i = 1; i <= 6; ++i) {
    history.push_back(MakeRevision(i, MakeTemplate(std::to_string(i))));
  }
  // 6 is the update revision, 2 still has instances: 5, 4 are kept; 3, 1 go.
  std::vector<Action> actions =
      PruneRevisions(history, history[5].hash, {history[1].hash}, /*limit=*/2);
  EXPECT_EQ(actions, (std::vector<Action>{DeleteRevision{1, history[0].hash},
                                          DeleteRevision{3, history[2].hash}}));
}

TEST(RevisionsTest, PruneWithLimitZeroKeepsOnlyWhatIsUsed) {
  std::vector<Revision> history = {MakeRevision(1, kA), MakeRevision(2, kB)};
  EXPECT_EQ(PruneRevisions(history, kB.hash, {}, 0),
            (std::vector<Action>{DeleteRevision{1, kA.hash}}));
  EXPECT_TRUE(PruneRevisions(history, kB.hash, {kA.hash}, 0).empty());
}

}  // namespace
}  // namespace nanoplane::controller::core
