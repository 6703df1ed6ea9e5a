#include "controller/core/host_list.h"

namespace nanoplane::controller::core {

HostList::HostList(std::vector<Host> hosts) {
  auto shared = std::make_shared<Shared>();
  shared->hosts = std::move(hosts);
  shared->Index();
  shared_ = std::move(shared);
  writable_ = true;
}

void HostList::Shared::Index() const {
  index.clear();
  index.reserve(hosts.size());
  for (size_t i = 0; i < hosts.size(); ++i) {
    index.emplace(hosts[i].name, i);  // the first of equal names wins
  }
  indexed = true;
}

const Host* HostList::Find(std::string_view name) const {
  if (shared_ == nullptr) {
    return nullptr;
  }
  // Only a list written through Mutable() has a stale index, and such a list
  // has one owner (see Mutable), so rebuilding here races with no reader.
  if (!shared_->indexed) {
    shared_->Index();
  }
  auto it = shared_->index.find(name);
  return it == shared_->index.end() ? nullptr : &shared_->hosts[it->second];
}

std::vector<Host>& HostList::Mutable() {
  // Only a list this object made and that no other list shares may change;
  // any other is copied first. (use_count is exact: a list being written is
  // not shared with other threads.)
  if (!writable_ || shared_.use_count() > 1) {
    auto copy = std::make_shared<Shared>();
    copy->hosts = get();
    shared_ = std::move(copy);
    writable_ = true;
  }
  auto& shared = const_cast<Shared&>(*shared_);
  shared.indexed = false;
  return shared.hosts;
}

const std::vector<Host>& HostList::Empty() {
  static const auto* const kEmpty = new std::vector<Host>();
  return *kEmpty;
}

}  // namespace nanoplane::controller::core
