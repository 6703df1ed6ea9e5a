#include "controller/core/naming.h"

#include <cstdint>

#include "absl/random/distributions.h"
#include "common/strings.h"

namespace nanoplane::controller::core {
namespace {

constexpr size_t kSuffixLength = 5;
constexpr size_t kHashLength = 10;
constexpr int kRandomAttempts = 16;

std::string Suffix(uint64_t index) {
  std::string suffix(kSuffixLength, ' ');
  for (size_t i = 0; i < kSuffixLength; ++i) {
    suffix[i] = kNameAlphabet[index % kNameAlphabet.size()];
    index /= kNameAlphabet.size();
  }
  return suffix;
}

uint64_t SuffixCount() {
  uint64_t count = 1;
  for (size_t i = 0; i < kSuffixLength; ++i) {
    count *= kNameAlphabet.size();
  }
  return count;
}

// Room for the unikernel's name: what the hash, the suffix and two dashes leave.
constexpr size_t kUnikernelRoom = kMaxNameLength - kHashLength - kSuffixLength - 2;

}  // namespace

std::string InstanceNamePrefix(std::string_view unikernel) {
  // A name that fits whole is followed by its dash whatever the hash; one that
  // is shortened is cut by at least kUnikernelRoom (a hash shorter than
  // kHashLength, as in tests, leaves more room), so only that much is common.
  if (unikernel.size() <= kUnikernelRoom) {
    return StrCat(unikernel, "-");
  }
  return std::string(unikernel.substr(0, kUnikernelRoom));
}

std::string NewInstanceName(std::string_view unikernel, std::string_view revision_hash,
                            const NameSet& taken, absl::BitGenRef rng) {
  return DrawInstanceName(
      unikernel, revision_hash, [&](std::string_view name) { return taken.contains(name); }, rng);
}

std::string DrawInstanceName(std::string_view unikernel, std::string_view revision_hash,
                             const NameTaken& taken, absl::BitGenRef rng) {
  std::string_view hash = revision_hash.substr(0, kHashLength);
  size_t room = kMaxNameLength - hash.size() - kSuffixLength - 2;
  std::string prefix = StrCat(unikernel.substr(0, room), "-", hash, "-");
  uint64_t count = SuffixCount();
  uint64_t index = absl::Uniform<uint64_t>(rng, 0, count);
  for (int attempt = 0; attempt < kRandomAttempts; ++attempt) {
    std::string name = prefix + Suffix(index);
    if (!taken(name)) {
      return name;
    }
    index = absl::Uniform<uint64_t>(rng, 0, count);
  }
  // The generator keeps colliding (a tiny fleet-wide space or a fake rng):
  // walk the suffixes from the last draw instead.
  for (uint64_t step = 0; step < count; ++step) {
    std::string name = prefix + Suffix((index + step) % count);
    if (!taken(name)) {
      return name;
    }
  }
  return prefix + Suffix(index);  // every suffix is taken; nothing unique exists
}

}  // namespace nanoplane::controller::core
