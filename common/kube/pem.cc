#include "common/kube/pem.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

namespace nanoplane::kube {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

std::unique_ptr<BIO, BioFree> MemoryBio(std::string_view data) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::unique_ptr<X509, X509Free> ReadCertificate(BIO* bio) {
  return std::unique_ptr<X509, X509Free>(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
}

}  // namespace

absl::Status CheckPemCertificates(std::string_view pem) {
  auto bio = MemoryBio(pem);
  auto first = ReadCertificate(bio.get());
  // Reading stops at the end of the data with an error queued; it is not ours.
  ERR_clear_error();
  if (first == nullptr) {
    return absl::InvalidArgumentError("holds no PEM certificate");
  }
  return absl::OkStatus();
}

absl::Status CheckPemKeyPair(std::string_view cert_pem, std::string_view key_pem) {
  auto cert_bio = MemoryBio(cert_pem);
  auto cert = ReadCertificate(cert_bio.get());
  auto key_bio = MemoryBio(key_pem);
  std::unique_ptr<EVP_PKEY, KeyFree> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  absl::Status status = absl::OkStatus();
  if (cert == nullptr) {
    status = absl::InvalidArgumentError("the client certificate holds no PEM certificate");
  } else if (key == nullptr) {
    status = absl::InvalidArgumentError("the client key holds no PEM private key");
  } else if (X509_check_private_key(cert.get(), key.get()) != 1) {
    status = absl::InvalidArgumentError("the client key does not belong to the client certificate");
  }
  ERR_clear_error();
  return status;
}

}  // namespace nanoplane::kube
