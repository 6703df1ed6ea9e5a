#include "common/strings.h"
#include "common/kube/testing/http_test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace nanoplane::kube::testing {
namespace {

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string Head(const ClientRequest& r) {
  std::string head = StrCat(r.method, " ", r.path, " HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                                   "Connection: close\r\n");
  if (!r.token.empty()) {
    StrAppend(&head, "Authorization: Bearer ", r.token, "\r\n");
  }
  if (!r.accept.empty()) {
    StrAppend(&head, "Accept: ", r.accept, "\r\n");
  }
  if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
    StrAppend(&head, "Content-Type: ", r.content_type, "\r\nContent-Length: ", r.body.size(),
                    "\r\n");
  }
  StrAppend(&head, "\r\n", r.body);
  return head;
}

bool ReadSome(int fd, std::string& out, absl::Time deadline) {
  int64_t ms = std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now()));
  pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
  if (::poll(&p, 1, static_cast<int>(ms)) <= 0) {
    return false;
  }
  char buf[16384];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  if (n <= 0) {
    return false;
  }
  out.append(buf, n);
  return true;
}

// Parses the status line and headers; the position after them, or npos.
size_t ParseHead(const std::string& raw, int& code, std::map<std::string, std::string>& headers) {
  size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) {
    return end;
  }
  std::vector<std::string> lines = absl::StrSplit(raw.substr(0, end), "\r\n");
  std::vector<std::string> first = absl::StrSplit(lines[0], ' ');
  if (first.size() < 2 || !absl::SimpleAtoi(first[1], &code)) {
    code = 0;
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon != std::string::npos) {
      headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
          std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
    }
  }
  return end + 4;
}

// Moves whole chunks from `raw` to `decoded`; true at the terminating chunk.
bool Dechunk(std::string& raw, std::string& decoded) {
  while (true) {
    size_t eol = raw.find("\r\n");
    if (eol == std::string::npos) {
      return false;
    }
    size_t size = 0;
    if (!absl::SimpleHexAtoi(raw.substr(0, eol), &size)) {
      return true;
    }
    if (size == 0) {
      return true;
    }
    if (raw.size() < eol + 2 + size + 2) {
      return false;
    }
    decoded.append(raw, eol + 2, size);
    raw.erase(0, eol + 2 + size + 2);
  }
}

}  // namespace

Json HttpResult::json() const { return Json::parse(body, nullptr, false); }

HttpResult Send(int port, const ClientRequest& request, absl::Duration timeout) {
  HttpResult result;
  int fd = Connect(port);
  if (fd < 0) {
    return result;
  }
  std::string out = Head(request);
  ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
  std::string raw;
  absl::Time deadline = absl::Now() + timeout;
  while (ReadSome(fd, raw, deadline)) {
  }
  ::close(fd);
  size_t body_at = ParseHead(raw, result.code, result.headers);
  if (body_at == std::string::npos) {
    result.code = 0;
    return result;
  }
  raw.erase(0, body_at);
  if (result.headers["transfer-encoding"] == "chunked") {
    Dechunk(raw, result.body);
  } else {
    result.body = raw;
  }
  return result;
}

std::unique_ptr<WatchReader> WatchReader::Open(int port, const ClientRequest& request) {
  auto reader = std::unique_ptr<WatchReader>(new WatchReader());
  reader->fd_ = Connect(port);
  if (reader->fd_ < 0) {
    reader->ended_ = true;
    return reader;
  }
  std::string out = Head(request);
  ::send(reader->fd_, out.data(), out.size(), MSG_NOSIGNAL);
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  std::map<std::string, std::string> headers;
  size_t body_at;
  while ((body_at = ParseHead(reader->raw_, reader->code_, headers)) == std::string::npos) {
    if (!ReadSome(reader->fd_, reader->raw_, deadline)) {
      reader->ended_ = true;
      return reader;
    }
  }
  reader->raw_.erase(0, body_at);
  if (headers["transfer-encoding"] != "chunked") {
    reader->decoded_ = reader->raw_;  // an error answered whole
    reader->raw_.clear();
  }
  return reader;
}

WatchReader::~WatchReader() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

bool WatchReader::Fill(absl::Time deadline) {
  if (Dechunk(raw_, decoded_)) {
    ended_ = true;
  }
  if (ended_ || decoded_.find('\n') != std::string::npos) {
    return true;
  }
  if (!ReadSome(fd_, raw_, deadline)) {
    if (absl::Now() < deadline) {
      ended_ = true;
    }
    return false;
  }
  return true;
}

std::optional<Json> WatchReader::Next(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (decoded_.find('\n') == std::string::npos) {
    if (ended_ || !Fill(deadline)) {
      return std::nullopt;
    }
  }
  size_t nl = decoded_.find('\n');
  std::string line = decoded_.substr(0, nl);
  decoded_.erase(0, nl + 1);
  return Json::parse(line, nullptr, false);
}

}  // namespace nanoplane::kube::testing
