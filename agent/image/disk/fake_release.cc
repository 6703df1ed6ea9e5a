#include "agent/image/disk/fake_release.h"

#include <cstring>
#include <filesystem>
#include <fstream>

namespace nanoplane::image {

std::string FakeBootImage(uint64_t stage2_bytes) {
  std::string image(512 + stage2_bytes, '\x90');
  char* region = image.data() + 0x1BE - 20;
  uint64_t base = 0;
  uint32_t type = 12;  // the filesystem region
  std::memcpy(region, &base, 8);
  std::memcpy(region + 8, &stage2_bytes, 8);
  std::memcpy(region + 16, &type, 4);
  std::memset(image.data() + 0x1BE, 0, 64);
  image[510] = '\x55';
  image[511] = '\xAA';
  return image;
}

void WriteFakeRelease(const std::string& dir) {
  std::filesystem::create_directories(dir + "/klibs");
  std::ofstream(dir + "/kernel.img", std::ios::binary) << std::string(300 * 1024, 'K');
  std::ofstream(dir + "/boot.img", std::ios::binary) << FakeBootImage(32 * 1024);
  std::ofstream(dir + "/klibs/tls", std::ios::binary) << "TLS klib";
  std::ofstream(dir + "/klibs/ntp", std::ios::binary) << "NTP klib";
}

}  // namespace nanoplane::image
