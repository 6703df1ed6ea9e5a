#pragma once

// Instance names: `<unikernel>-<revision>-<5 random chars>`, where <revision> is
// the first 10 hex digits of the template hash (like a pod's pod-template-hash,
// it survives `rollout undo`, which renumbers but does not change the hash).

#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "absl/random/bit_gen_ref.h"

namespace nanoplane::controller::core {

using NameSet = std::set<std::string, std::less<>>;
// Whether a name is in use, asked one name at a time.
using NameTaken = std::function<bool(std::string_view name)>;

// A NameTaken inside plain data. It compares equal to any other: it reads the
// app's live indexes, which are not part of the value.
struct NameLookup {
  NameTaken taken;
  bool operator==(const NameLookup&) const { return true; }
};

// The characters of the random suffix: no vowels (no words) and no look-alikes.
inline constexpr std::string_view kNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";
inline constexpr size_t kMaxNameLength = 63;  // a DNS label

// A name for a new instance that is not in `taken` (the names in use fleet-
// wide). The unikernel name is shortened so the result fits a DNS label.
// Deterministic for a given `rng` state; after a few colliding draws it scans
// the suffixes in order, so it always ends while a suffix is free.
// What every name NewInstanceName makes for `unikernel` starts with, whatever
// the revision: a name without it can never collide with a new one, so a
// caller may leave such names out of `taken`.
std::string InstanceNamePrefix(std::string_view unikernel);

std::string NewInstanceName(std::string_view unikernel, std::string_view revision_hash,
                            const NameSet& taken, absl::BitGenRef rng);
// The same, asking `taken` one name at a time.
std::string DrawInstanceName(std::string_view unikernel, std::string_view revision_hash,
                             const NameTaken& taken, absl::BitGenRef rng);

}  // namespace nanoplane::controller::core
