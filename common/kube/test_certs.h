#pragma once

// Certificates for the TLS tests, made by the openssl command line in a
// temporary directory (test-only): a CA, a server certificate for 127.0.0.1, a
// server certificate for the name "kube.test" only, a client certificate
// (CN "alice") from the CA, and an unrelated CA.

#include <string>

namespace nanoplane::kube::test {

struct TestPki {
  std::string dir;
  std::string ca_pem, ca_key_pem;
  std::string server_cert_pem, server_key_pem;        // SAN IP:127.0.0.1
  std::string named_server_cert_pem, named_server_key_pem;  // SAN DNS:kube.test
  std::string client_cert_pem, client_key_pem;        // CN alice
  std::string other_ca_pem;
};

// Empty `dir` when openssl failed.
TestPki MakeTestPki(const std::string& dir);

// One set for every test process of this user, remade when half a day old:
// openssl takes about a second, and ctest runs each test in its own process.
const TestPki& SharedTestPki();

// Writes `text` to `path` (creating parent directories); for test fixtures.
void WriteFile(const std::string& path, const std::string& text);
std::string ReadFile(const std::string& path);

// A fresh temporary directory.
std::string TempDir(const std::string& prefix);

}  // namespace nanoplane::kube::test
