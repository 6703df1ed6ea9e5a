#pragma once

// For tests: a stand-in Nanos release whose boot.img has a real stage1 layout
// (the filesystem region record and the boot signature) but no real code.

#include <cstdint>
#include <string>

namespace nanoplane::image {

// The bytes of a fake boot.img: stage1 sector plus `stage2_bytes` of stage2.
std::string FakeBootImage(uint64_t stage2_bytes);

// Writes kernel.img, boot.img and klibs/{tls,ntp} into `dir` (created).
void WriteFakeRelease(const std::string& dir);

}  // namespace nanoplane::image
