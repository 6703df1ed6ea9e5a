#include "common/kube/test_certs.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace nanoplane::kube::test {
namespace {

bool Run(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

std::string NewKey(const std::string& path) {
  return "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out " + path;
}

bool SignedCert(const std::string& dir, const std::string& name, const std::string& subject,
                const std::string& extensions) {
  const std::string base = dir + "/" + name;
  WriteFile(base + ".ext", extensions + "\n");
  return Run(NewKey(base + ".key")) &&
         Run("openssl req -new -key " + base + ".key -subj " + subject + " -out " + base + ".csr") &&
         Run("openssl x509 -req -in " + base + ".csr -CA " + dir + "/ca.crt -CAkey " + dir +
             "/ca.key -CAcreateserial -days 2 -extfile " + base + ".ext -out " + base + ".crt");
}

bool SelfSignedCa(const std::string& dir, const std::string& name) {
  const std::string base = dir + "/" + name;
  return Run(NewKey(base + ".key")) &&
         Run("openssl req -x509 -new -key " + base + ".key -subj /CN=" + name +
             " -days 2 -addext basicConstraints=critical,CA:TRUE -addext "
             "keyUsage=critical,keyCertSign,cRLSign -out " + base + ".crt");
}

}  // namespace

void WriteFile(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string TempDir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  char* made = ::mkdtemp(pattern.data());
  return made == nullptr ? "" : made;
}

namespace {

TestPki ReadTestPki(const std::string& dir) {
  auto read = [&](const std::string& name) { return ReadFile(dir + "/" + name); };
  return TestPki{.dir = dir,
                 .ca_pem = read("ca.crt"),
                 .ca_key_pem = read("ca.key"),
                 .server_cert_pem = read("server.crt"),
                 .server_key_pem = read("server.key"),
                 .named_server_cert_pem = read("named.crt"),
                 .named_server_key_pem = read("named.key"),
                 .client_cert_pem = read("client.crt"),
                 .client_key_pem = read("client.key"),
                 .other_ca_pem = read("other-ca.crt")};
}

}  // namespace

const TestPki& SharedTestPki() {
  static const TestPki* pki = [] {
    namespace fs = std::filesystem;
    const fs::path shared = fs::temp_directory_path() / ("np-kube-test-pki-" + std::to_string(::getuid()));
    std::error_code ec;
    auto age = fs::file_time_type::clock::now() - fs::last_write_time(shared / "ready", ec);
    if (ec || age > std::chrono::hours(12)) {
      // Made aside and renamed into place: parallel test processes see all or nothing.
      const std::string fresh = TempDir("np-kube-pki");
      if (MakeTestPki(fresh).dir.empty()) {
        return new TestPki();
      }
      WriteFile(fresh + "/ready", "");
      fs::remove_all(shared, ec);
      fs::rename(fresh, shared, ec);
      if (ec) {
        return new TestPki(ReadTestPki(fresh));
      }
    }
    return new TestPki(ReadTestPki(shared.string()));
  }();
  return *pki;
}

TestPki MakeTestPki(const std::string& dir) {
  const std::string server_ext = "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth";
  const std::string named_ext = "subjectAltName=DNS:kube.test\nextendedKeyUsage=serverAuth";
  const std::string client_ext = "extendedKeyUsage=clientAuth";
  if (!SelfSignedCa(dir, "ca") || !SelfSignedCa(dir, "other-ca") ||
      !SignedCert(dir, "server", "/CN=kube-apiserver", server_ext) ||
      !SignedCert(dir, "named", "/CN=kube-apiserver", named_ext) ||
      !SignedCert(dir, "client", "/O=system:masters/CN=alice", client_ext)) {
    return {};
  }
  return ReadTestPki(dir);
}

}  // namespace nanoplane::kube::test
