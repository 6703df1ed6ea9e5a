#include "agent/adapters/guest_address.h"

#include "gtest/gtest.h"

namespace nanoplane::agent {
namespace {

constexpr char kArpTable[] =
    "IP address       HW type     Flags       HW "
    "address            Mask     Device\n"
    "10.0.2.9         0x1         0x0         "
    "00:00:00:00:00:00     *        npbr0\n"
    "192.168.1.1      0x1         0x2         "
    "aa:bb:cc:dd:ee:ff     *        eth0\n"
    "10.0.2.15        0x1         0x2         "
    "52:54:00:84:ce:88     *        npbr0\n";

TEST(GuestAddressTest, ReadsTheMacsOfEveryNic) {
  const std::string xml =
      "<domain><devices><interface type='bridge'><mac "
      "address='52:54:00:84:CE:88'/>"
      "<source bridge='br0'/></interface><interface type='network'>"
      "<mac address='52:54:00:00:00:01'/></interface></devices></domain>";
  EXPECT_EQ(MacAddresses(xml),
            (std::vector<std::string>{"52:54:00:84:ce:88", "52:54:00:00:00:01"}));
  EXPECT_EQ(MacAddresses("<mac address=\"52:54:00:aa:bb:cc\"/>"),
            std::vector<std::string>{"52:54:00:aa:bb:cc"});
  EXPECT_TRUE(MacAddresses("<domain/>").empty());
}

TEST(GuestAddressTest, FindsTheCompleteNeighbourEntryOfTheGuestsMac) {
  EXPECT_EQ(Ipv4ForMac(kArpTable, {"52:54:00:84:ce:88"}), "10.0.2.15");
  EXPECT_EQ(Ipv4ForMac(kArpTable, {"52:54:00:00:00:01", "52:54:00:84:ce:88"}), "10.0.2.15");
  EXPECT_EQ(Ipv4ForMac(kArpTable, {"52:54:00:00:00:01"}), "");
  // An incomplete entry is no answer.
  EXPECT_EQ(Ipv4ForMac(kArpTable, {"00:00:00:00:00:00"}), "");
  EXPECT_EQ(Ipv4ForMac("", {"52:54:00:84:ce:88"}), "");
}

}  // namespace
}  // namespace nanoplane::agent
