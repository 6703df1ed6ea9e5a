#pragma once

// HostList: every registered host, as one immutable vector that passes share,
// with an index by name. The app builds it once per change of the fleet
// (sessions, assignments, readiness) rather than copying a thousand hosts into
// each pass, and the index is built with it rather than once per pass (each
// instance looks its host up). Still plain data: it compares by value, and
// writing through it (tests, the simulated world) copies first, so a shared
// list is never changed under another reader.

#include <initializer_list>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "controller/core/types.h"

namespace nanoplane::controller::core {

class HostList {
 public:
  HostList() = default;
  HostList(std::vector<Host> hosts);  // NOLINT: implicit, as the vector it replaces
  HostList(std::initializer_list<Host> hosts) : HostList(std::vector<Host>(hosts)) {}

  const std::vector<Host>& get() const { return shared_ != nullptr ? shared_->hosts : Empty(); }
  operator const std::vector<Host>&() const { return get(); }  // NOLINT: reads as the vector
  size_t size() const { return get().size(); }
  bool empty() const { return get().empty(); }
  std::vector<Host>::const_iterator begin() const { return get().begin(); }
  std::vector<Host>::const_iterator end() const { return get().end(); }
  const Host& operator[](size_t i) const { return get()[i]; }
  // The host named `name`; null when there is none. The first of equal names.
  const Host* Find(std::string_view name) const;

  // Copy-on-write access; the reference is valid until this list is copied.
  // A non-const list's begin() and [] take this path and copy a shared
  // list: read through a const list (the core takes its input by const&).
  std::vector<Host>& Mutable();
  std::vector<Host>::iterator begin() { return Mutable().begin(); }
  std::vector<Host>::iterator end() { return Mutable().end(); }
  Host& operator[](size_t i) { return Mutable()[i]; }

  // The same vector, not only equal hosts.
  bool Shares(const HostList& other) const { return shared_ == other.shared_; }

  bool operator==(const HostList& other) const {
    return shared_ == other.shared_ || get() == other.get();
  }

 private:
  struct Shared {
    std::vector<Host> hosts;
    // name -> position in hosts. Stale while `indexed` is false (after
    // Mutable() handed out the vector); Find rebuilds it then.
    mutable absl::flat_hash_map<std::string_view, size_t> index;
    mutable bool indexed = false;
    void Index() const;
  };
  static const std::vector<Host>& Empty();

  std::shared_ptr<const Shared> shared_;
  bool writable_ = false;  // shared_ was made by Mutable() and never copied since
};

}  // namespace nanoplane::controller::core
