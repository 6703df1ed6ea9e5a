#pragma once

// Status helpers. Expected failures are absl::Status values; the codes have fixed
// meanings across the project (see STYLE.md §5):
//   InvalidArgument     bad input; the message names file, document and field path
//   Aborted             a conflict (stale resourceVersion)
//   FailedPrecondition  terminal until the spec changes
//   Unavailable / DeadlineExceeded  transient; retry

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define NP_STATUS_CONCAT_INNER_(a, b) a##b
#define NP_STATUS_CONCAT_(a, b) NP_STATUS_CONCAT_INNER_(a, b)

// Returns from the current function when `expr` (an absl::Status) is not OK.
#define NP_RETURN_IF_ERROR(expr)        \
  do {                                  \
    ::absl::Status np_status_ = (expr); \
    if (!np_status_.ok()) {             \
      return np_status_;                \
    }                                   \
  } while (false)

// `NP_ASSIGN_OR_RETURN(auto x, F());` binds the value of an absl::StatusOr or
// returns its status.
#define NP_ASSIGN_OR_RETURN(lhs, expr) \
  NP_ASSIGN_OR_RETURN_IMPL_(NP_STATUS_CONCAT_(np_statusor_, __LINE__), lhs, expr)

#define NP_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) {                                \
    return std::move(tmp).status();               \
  }                                               \
  lhs = std::move(tmp).value()

// For programmer errors only, never for external input.
#define NP_CHECK(cond)                                     \
  do {                                                     \
    if (!(cond)) {                                         \
      ::nanoplane::CheckFailed(__FILE__, __LINE__, #cond); \
    }                                                      \
  } while (false)

namespace nanoplane {

[[noreturn]] void CheckFailed(const char* file, int line, const char* condition);

// Prefixes a status's message with context ("define domain web-0: ...").
absl::Status Annotate(const absl::Status& status, std::string_view context);

// The retry policy, read from the code alone (controller-runtime's
// TerminalError): InvalidArgument and FailedPrecondition say that only a new
// spec can help, so the work is not retried until its input changes; every
// other error (Unavailable, DeadlineExceeded, Aborted, Internal, ...) is
// retried with back-off.
bool IsTerminal(const absl::Status& status);

}  // namespace nanoplane
