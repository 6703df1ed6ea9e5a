#include "agent/adapters/exit_status.h"

#include <libvirt/libvirt.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/strings.h"

namespace nanoplane::agent {
namespace {

constexpr std::string_view kStartMarker = "starting up";
constexpr std::string_view kSignalMarker = "terminating on signal";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::string QemuWrapperScript(std::string_view qemu_binary) {
  // QEMU runs as a child (not exec'd) so that the shell sees its status. The
  // loop re-waits after a trapped signal interrupted `wait`.
  return StrCat(
      "#!/bin/sh\n"
      "# nanoplane: runs QEMU and reports its exit status in the domain log,\n"
      "# which libvirt does not do. Generated; do not edit.\n",
      "'", qemu_binary, "' \"$@\" &\n",
      "child=$!\n"
      "trap 'kill -TERM $child 2>/dev/null' TERM INT HUP\n"
      "while :; do\n"
      "  wait $child\n"
      "  rc=$?\n"
      "  kill -0 $child 2>/dev/null || break\n"
      "done\n"
      "echo \"",
      kExitStatusMarker,
      "$rc\" >&2\n"
      "exit $rc\n");
}

absl::Status InstallQemuWrapper(const std::string& path, std::string_view qemu_binary) {
  const std::string script = QemuWrapperScript(qemu_binary);
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && ReadAll(path) == script) {
    return absl::OkStatus();
  }
  const std::filesystem::path target(path);
  std::filesystem::create_directories(target.parent_path(), ec);
  const std::string temp = StrCat(path, ".tmp");
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << script;
    if (!out.flush()) {
      return absl::InternalError(StrCat("install QEMU wrapper ", path, ": cannot write"));
    }
  }
  if (chmod(temp.c_str(), 0755) != 0) {
    return absl::InternalError(StrCat("install QEMU wrapper ", path, ": chmod failed"));
  }
  std::filesystem::rename(temp, target, ec);
  if (ec) {
    return absl::InternalError(StrCat("install QEMU wrapper ", path, ": ", ec.message()));
  }
  return absl::OkStatus();
}

QemuRun ParseDomainLog(std::string_view log) {
  size_t start = log.rfind(kStartMarker);
  if (start != std::string_view::npos) {
    log.remove_prefix(start);
  }
  QemuRun run;
  run.terminated_by_signal = log.find(kSignalMarker) != std::string_view::npos;
  size_t at = log.rfind(kExitStatusMarker);
  if (at != std::string_view::npos) {
    std::string_view rest = log.substr(at + std::string_view(kExitStatusMarker).size());
    rest = rest.substr(0, rest.find('\n'));
    if (std::optional<int64_t> status = ParseInt64(rest)) {
      run.exit_status = static_cast<int>(*status);
    }
  }
  return run;
}

std::string ReadFileTail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    return "";
  }
  const std::streamoff size = in.tellg();
  const std::streamoff start = size > static_cast<std::streamoff>(max_bytes)
                                   ? size - static_cast<std::streamoff>(max_bytes)
                                   : 0;
  in.seekg(start);
  std::string out(static_cast<size_t>(size - start), '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  return out;
}

StopClassification ClassifyShutoff(int shutoff_reason, bool debug_exit, const QemuRun& run) {
  switch (shutoff_reason) {
    case VIR_DOMAIN_SHUTOFF_SHUTDOWN:
      return {.reason = StopReason::kShutdown};
    case VIR_DOMAIN_SHUTOFF_DESTROYED:
      return {.reason = StopReason::kDestroyed};
    case VIR_DOMAIN_SHUTOFF_FAILED:
      return {.reason = StopReason::kFailed};
    case VIR_DOMAIN_SHUTOFF_UNKNOWN:
      return {.reason = StopReason::kNone};
    case VIR_DOMAIN_SHUTOFF_CRASHED:
      break;
    default:
      return {.reason = StopReason::kUnknown};
  }
  if (debug_exit && !run.terminated_by_signal && run.exit_status.has_value() &&
      (*run.exit_status & 1) == 1) {
    return {.reason = StopReason::kExited, .exit_code = *run.exit_status >> 1};
  }
  return {.reason = StopReason::kCrashed};
}

}  // namespace nanoplane::agent
