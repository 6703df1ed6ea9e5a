#include "agent/adapters/host_port_allocator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

#include "gtest/gtest.h"

namespace nanoplane::agent {
namespace {

const std::string kLocal = "127.0.0.1";

HostPortAllocator::FreeCheck AllFree() {
  return [](const std::string&, Protocol, int) { return true; };
}

TEST(HostPortAllocatorTest, NeverHandsOutAPortTwice) {
  HostPortAllocator allocator(30000, 30009, AllFree());
  std::set<int> seen;
  for (int i = 0; i < 10; ++i) {
    absl::StatusOr<int> port = allocator.Allocate(kLocal, Protocol::kTcp);
    ASSERT_TRUE(port.ok()) << port.status();
    EXPECT_TRUE(seen.insert(*port).second) << *port;
    EXPECT_GE(*port, 30000);
    EXPECT_LE(*port, 30009);
  }
  EXPECT_EQ(allocator.Allocate(kLocal, Protocol::kTcp).status().code(),
            absl::StatusCode::kResourceExhausted);
  // Other addresses and protocols are separate spaces.
  EXPECT_TRUE(allocator.Allocate(kLocal, Protocol::kUdp).ok());
  EXPECT_TRUE(allocator.Allocate("127.0.0.2", Protocol::kTcp).ok());
}

TEST(HostPortAllocatorTest, SkipsBusyPorts) {
  HostPortAllocator allocator(30000, 30004, [](const std::string&, Protocol, int port) {
    return port != 30000 && port != 30002;
  });
  EXPECT_EQ(*allocator.Allocate(kLocal, Protocol::kTcp), 30001);
  EXPECT_EQ(*allocator.Allocate(kLocal, Protocol::kTcp), 30003);
}

TEST(HostPortAllocatorTest, ReservedPortsAreSkippedAndReleasedOnesComeBackLast) {
  HostPortAllocator allocator(30000, 30002, AllFree());
  ASSERT_TRUE(allocator.Reserve(kLocal, Protocol::kTcp, 30000).ok());
  EXPECT_EQ(allocator.Reserve(kLocal, Protocol::kTcp, 30000).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(*allocator.Allocate(kLocal, Protocol::kTcp), 30001);
  allocator.Release(kLocal, Protocol::kTcp, 30001);
  EXPECT_FALSE(allocator.Holds(kLocal, Protocol::kTcp, 30001));
  EXPECT_EQ(*allocator.Allocate(kLocal, Protocol::kTcp), 30002);
  EXPECT_EQ(*allocator.Allocate(kLocal, Protocol::kTcp), 30001);
}

TEST(HostPortAllocatorTest, BindCheckSeesAListeningSocket) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int busy = ntohs(addr.sin_port);
  EXPECT_FALSE(HostPortAllocator::BindCheck(kLocal, Protocol::kTcp, busy));

  HostPortAllocator allocator(busy, busy == 65535 ? busy : busy + 1);
  absl::StatusOr<int> port = allocator.Allocate(kLocal, Protocol::kTcp);
  if (busy < 65535) {
    EXPECT_EQ(*port, busy + 1);
  } else {
    EXPECT_FALSE(port.ok());
  }
  close(fd);
  EXPECT_TRUE(HostPortAllocator::BindCheck(kLocal, Protocol::kTcp, busy));
}

}  // namespace
}  // namespace nanoplane::agent
