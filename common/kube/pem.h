#pragma once

// Checks of PEM data before it reaches TLS, so that a bad certificate or key is
// reported against the kubeconfig field that held it, not as a failed handshake.
// The messages never include the data. Thread-safe (OpenSSL 3 needs no locking).

#include <string_view>

#include "absl/status/status.h"

namespace nanoplane::kube {

// OK when `pem` holds one or more certificates; InvalidArgument otherwise.
[[nodiscard]] absl::Status CheckPemCertificates(std::string_view pem);

// OK when `key_pem` holds a private key that belongs to the first certificate of
// `cert_pem`; InvalidArgument otherwise.
[[nodiscard]] absl::Status CheckPemKeyPair(std::string_view cert_pem, std::string_view key_pem);

}  // namespace nanoplane::kube
