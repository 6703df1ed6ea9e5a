#include "controller/app/object_cache.h"

#include <charconv>

namespace nanoplane::controller::app {
namespace {

bool ParseVersion(const std::string& text, uint64_t& out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

bool NewerVersion(const std::string& a, const std::string& b) {
  uint64_t x = 0;
  uint64_t y = 0;
  if (!ParseVersion(a, x) || !ParseVersion(b, y)) {
    return true;
  }
  return x > y;
}

ports::ObjectKey ObjectCache::KeyOf(const v1alpha1::Unikernel& object) {
  const std::string& ns = object.metadata().namespace_();
  return {.ns = ns.empty() ? "default" : ns, .name = object.metadata().name()};
}

void ObjectCache::Replace(std::vector<v1alpha1::Unikernel> items) {
  std::map<ports::ObjectKey, Object> objects;
  for (v1alpha1::Unikernel& item : items) {
    ports::ObjectKey key = KeyOf(item);
    objects[key] = std::make_shared<const v1alpha1::Unikernel>(std::move(item));
  }
  absl::MutexLock lock(&mu_);
  objects_ = std::move(objects);
}

void ObjectCache::Apply(const ports::WatchEvent& event) {
  ports::ObjectKey key = KeyOf(event.object);
  if (event.type == ports::WatchEventType::kDeleted) {
    absl::MutexLock lock(&mu_);
    objects_.erase(key);
    return;
  }
  auto object = std::make_shared<const v1alpha1::Unikernel>(event.object);
  absl::MutexLock lock(&mu_);
  Object& slot = objects_[key];
  // One of our writes may have put in a later version than this event's.
  if (slot == nullptr ||
      NewerVersion(object->metadata().resource_version(), slot->metadata().resource_version())) {
    slot = std::move(object);
  }
}

void ObjectCache::Wrote(const v1alpha1::Unikernel& object) {
  ports::ObjectKey key = KeyOf(object);
  const std::string& version = object.metadata().resource_version();
  {
    absl::MutexLock lock(&mu_);
    auto it = objects_.find(key);
    if (it == objects_.end() || !NewerVersion(version, it->second->metadata().resource_version())) {
      return;
    }
  }
  // Copied outside the lock (a status of a hundred instances), then checked
  // again: the watch may have delivered something newer meanwhile.
  auto copy = std::make_shared<const v1alpha1::Unikernel>(object);
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(key);
  if (it != objects_.end() && NewerVersion(version, it->second->metadata().resource_version())) {
    it->second = std::move(copy);
  }
}

v1alpha1::Unikernel ObjectCache::WithoutStatus(const v1alpha1::Unikernel& object) {
  // Field by field: a copy of the whole object would copy the status first.
  v1alpha1::Unikernel out;
  out.set_api_version(object.api_version());
  out.set_kind(object.kind());
  *out.mutable_metadata() = object.metadata();
  *out.mutable_spec() = object.spec();
  return out;
}

void ObjectCache::DropStatus(const ports::ObjectKey& key, const std::string& version) {
  Object object = Get(key);
  if (object == nullptr || object->metadata().resource_version() != version ||
      !object->has_status()) {
    return;
  }
  auto stripped = std::make_shared<const v1alpha1::Unikernel>(WithoutStatus(*object));
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(key);
  if (it != objects_.end() && it->second == object) {  // nothing newer came meanwhile
    it->second = std::move(stripped);
  }
}

ObjectCache::Object ObjectCache::Get(const ports::ObjectKey& key) const {
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second;
}

size_t ObjectCache::size() const {
  absl::MutexLock lock(&mu_);
  return objects_.size();
}

}  // namespace nanoplane::controller::app
