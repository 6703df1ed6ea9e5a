#include "agent/adapters/host_port_allocator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "common/status.h"
#include "common/strings.h"

namespace nanoplane::agent {

HostPortAllocator::HostPortAllocator(int first, int last, FreeCheck is_free, int start)
    : first_(first),
      last_(last),
      is_free_(std::move(is_free)),
      next_(start >= first && start <= last ? start : first) {
  NP_CHECK(0 < first && first <= last && last <= 65535);
}

absl::StatusOr<int> HostPortAllocator::Allocate(const std::string& address, Protocol protocol) {
  absl::MutexLock lock(&mu_);
  const int size = last_ - first_ + 1;
  for (int i = 0; i < size; ++i) {
    const int port = first_ + (next_ - first_ + i) % size;
    Key key{address, protocol, port};
    if (held_.contains(key) || !is_free_(address, protocol, port)) {
      continue;
    }
    held_.insert(std::move(key));
    next_ = port == last_ ? first_ : port + 1;
    return port;
  }
  return absl::ResourceExhaustedError(
      StrCat("no free host port in ", first_, "-", last_, " on ", address));
}

absl::Status HostPortAllocator::Reserve(const std::string& address, Protocol protocol, int port) {
  absl::MutexLock lock(&mu_);
  if (!held_.insert(Key{address, protocol, port}).second) {
    return absl::AlreadyExistsError(StrCat("host port ", address, ":", port, " is taken"));
  }
  return absl::OkStatus();
}

void HostPortAllocator::Release(const std::string& address, Protocol protocol, int port) {
  absl::MutexLock lock(&mu_);
  held_.erase(Key{address, protocol, port});
}

bool HostPortAllocator::Holds(const std::string& address, Protocol protocol, int port) const {
  absl::MutexLock lock(&mu_);
  return held_.contains(Key{address, protocol, port});
}

bool HostPortAllocator::BindCheck(const std::string& address, Protocol protocol, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1) {
    return false;
  }
  int fd = socket(AF_INET, protocol == Protocol::kUdp ? SOCK_DGRAM : SOCK_STREAM, 0);
  if (fd < 0) {
    return false;
  }
  // No SO_REUSEADDR: a port in TIME_WAIT counts as busy, as QEMU would see it.
  bool free = bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return free;
}

}  // namespace nanoplane::agent
