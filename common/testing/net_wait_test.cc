#include "common/testing/net_wait.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "gtest/gtest.h"

namespace nanoplane::test_support {
namespace {

TEST(FreePortTest, IsBelowTheEphemeralRangeAndBindable) {
  int ephemeral_low = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> ephemeral_low;
  for (int i = 0; i < 20; ++i) {
    int port = FreePort();
    ASSERT_GT(port, 1024);
    EXPECT_LT(port, ephemeral_low) << "outgoing connections take ports from the ephemeral range";
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << port;
    close(fd);
  }
}

}  // namespace
}  // namespace nanoplane::test_support
