#pragma once

// Template definitions for fleet.h.

#include <algorithm>
#include <vector>

namespace nanoplane::controller::core {

template <typename Filter>
std::vector<const InstanceView*> ActiveWhere(const std::vector<InstanceView>& views,
                                             Filter filter) {
  std::vector<const InstanceView*> active;
  for (const InstanceView& view : views) {
    if (view.active && filter(view)) {
      active.push_back(&view);
    }
  }
  return active;
}

template <typename Filter>
std::vector<const InstanceView*> RankActive(const std::vector<InstanceView>& views, Filter filter) {
  std::vector<const InstanceView*> ranked = ActiveWhere(views, filter);
  Rank(ranked);
  return ranked;
}

}  // namespace nanoplane::controller::core
