#pragma once

// Finding a bridged guest's IPv4 address without help from inside the guest
// (Nanos has no guest agent): its NIC's MAC in the host's neighbour table.
// libvirt's own ARP source does the same over netlink but fails on some
// versions (9.0: "wrong nlmsg len"), so the agent reads /proc/net/arp itself.

#include <string>
#include <string_view>
#include <vector>

namespace nanoplane::agent {

// The MAC addresses of a domain's NICs, lower-case, from
// the domain XML libvirt returns (which always spells out <mac address=…/>).
std::vector<std::string> MacAddresses(std::string_view domain_xml);

// The IPv4 address of the first complete entry of /proc/net/arp's `table`
// whose hardware address is one of `macs`; empty when there is none.
std::string Ipv4ForMac(std::string_view table, const std::vector<std::string>& macs);

}  // namespace nanoplane::agent
