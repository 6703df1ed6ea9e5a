#pragma once

// Template definitions for fleet.h.

#include <algorithm>
#include <vector>

namespace nanoplane::controller::core {

template <typename Filter>
std::vector<const InstanceView*> RankActive(const std::vector<InstanceView>& views, Filter filter) {
  std::vector<const InstanceView*> ranked;
  for (const InstanceView& view : views) {
    if (view.active && filter(view)) {
      ranked.push_back(&view);
    }
  }
  std::sort(ranked.begin(), ranked.end(),
            [](const InstanceView* a, const InstanceView* b) { return StopsBefore(*a, *b); });
  return ranked;
}

}  // namespace nanoplane::controller::core
