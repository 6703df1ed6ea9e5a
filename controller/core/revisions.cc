#include "controller/core/revisions.h"

#include <algorithm>

namespace nanoplane::controller::core {

int64_t MaxRevisionNumber(const std::vector<Revision>& history) {
  int64_t max = 0;
  for (const Revision& revision : history) {
    max = std::max(max, revision.number);
  }
  return max;
}

RevisionSync SyncUpdateRevision(const Template& tmpl, const std::vector<Revision>& history,
                                absl::Time now) {
  RevisionSync sync;
  sync.history = history;
  int64_t max = MaxRevisionNumber(history);
  for (Revision& revision : sync.history) {
    if (revision.hash != tmpl.hash) {
      continue;
    }
    if (revision.number != max) {
      revision.number = max + 1;
      revision.progress_time = now;
      sync.actions.push_back(UpdateRevision{revision});
    }
    sync.update = revision;
    return sync;
  }
  sync.update = Revision{.number = max + 1,
                         .hash = tmpl.hash,
                         .canonical = tmpl.canonical,
                         .created_time = now,
                         .progress_time = now};
  sync.history.push_back(sync.update);
  sync.actions.push_back(CreateRevision{sync.update});
  return sync;
}

std::vector<Action> PruneRevisions(const std::vector<Revision>& history,
                                   const std::string& update_hash,
                                   const std::set<std::string>& in_use, int32_t limit) {
  std::vector<const Revision*> unused;
  for (const Revision& revision : history) {
    if (revision.hash != update_hash && !in_use.contains(revision.hash)) {
      unused.push_back(&revision);
    }
  }
  std::sort(unused.begin(), unused.end(),
            [](const Revision* a, const Revision* b) { return a->number > b->number; });
  std::vector<Action> actions;
  for (size_t i = std::max<int32_t>(limit, 0); i < unused.size(); ++i) {
    actions.push_back(DeleteRevision{unused[i]->number, unused[i]->hash});
  }
  std::sort(actions.begin(), actions.end(), [](const Action& a, const Action& b) {
    return std::get<DeleteRevision>(a).number < std::get<DeleteRevision>(b).number;
  });
  return actions;
}

}  // namespace nanoplane::controller::core
