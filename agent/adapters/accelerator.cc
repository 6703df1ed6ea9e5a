#include "agent/adapters/accelerator.h"

#include <unistd.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/adapters/subprocess.h"
#include "common/strings.h"

namespace nanoplane::agent {
namespace {

// Real-mode code at 0xFF80 of the firmware; the reset vector (0xFFF0) jumps
// here. If CPUID reports XSAVE, it sets CR4.OSXSAVE and runs XGETBV, then it
// writes 0x2a to isa-debug-exit, so QEMU exits with (0x2a << 1) | 1 = 85.
constexpr std::array<uint8_t, 42> kProbeCode = {
    0x66, 0xB8, 0x01, 0x00, 0x00, 0x00,        // mov eax, 1
    0x0F, 0xA2,                                // cpuid
    0x66, 0xF7, 0xC1, 0x00, 0x00, 0x00, 0x04,  // test ecx, 1 << 26 (XSAVE)
    0x74, 0x12,                                // jz +18 (skip XGETBV)
    0x0F, 0x20, 0xE0,                          // mov eax, cr4
    0x66, 0x0D, 0x00, 0x00, 0x04, 0x00,        // or eax, 1 << 18 (OSXSAVE)
    0x0F, 0x22, 0xE0,                          // mov cr4, eax
    0x66, 0x31, 0xC9,                          // xor ecx, ecx
    0x0F, 0x01, 0xD0,                          // xgetbv
    0xB0, 0x2A,                                // mov al, 0x2a
    0xE6, 0xF4,                                // out 0xf4, al
    0xF4,                                      // hlt
    0xEB, 0xFD,                                // jmp hlt
};
constexpr size_t kCodeOffset = 0xFF80;
constexpr size_t kResetVector = 0xFFF0;
constexpr int kProbeSuccessStatus = (0x2a << 1) | 1;

std::string ProbeFirmware() {
  std::string rom(64 * 1024, '\xF4');
  for (size_t i = 0; i < kProbeCode.size(); ++i) {
    rom[kCodeOffset + i] = static_cast<char>(kProbeCode[i]);
  }
  // jmp short from 0xFFF0 (next IP 0xFFF2) back to 0xFF80.
  rom[kResetVector] = '\xEB';
  rom[kResetVector + 1] = static_cast<char>(kCodeOffset - (kResetVector + 2));
  return rom;
}

}  // namespace

absl::StatusOr<AcceleratorMode> ParseAcceleratorMode(std::string_view text) {
  if (text == "auto") {
    return AcceleratorMode::kAuto;
  }
  if (text == "kvm") {
    return AcceleratorMode::kKvm;
  }
  if (text == "tcg") {
    return AcceleratorMode::kTcg;
  }
  return absl::InvalidArgumentError(StrCat("accelerator: \"", text, "\" is not auto, kvm or tcg"));
}

Accelerator ChooseAccelerator(AcceleratorMode mode, const AcceleratorFacts& facts,
                              const KvmProbe& probe) {
  switch (mode) {
    case AcceleratorMode::kKvm:
      return Accelerator::kKvm;
    case AcceleratorMode::kTcg:
      return Accelerator::kTcg;
    case AcceleratorMode::kAuto:
      break;
  }
  if (!facts.dev_kvm || !facts.virt_flags) {
    return Accelerator::kTcg;
  }
  return probe() ? Accelerator::kKvm : Accelerator::kTcg;
}

AcceleratorFacts ReadAcceleratorFacts(const std::string& dev_kvm, const std::string& cpuinfo) {
  AcceleratorFacts facts;
  std::error_code ec;
  facts.dev_kvm = std::filesystem::exists(dev_kvm, ec);
  std::ifstream in(cpuinfo);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) {
      continue;
    }
    std::istringstream words(line);
    std::string word;
    while (words >> word) {
      if (word == "vmx" || word == "svm") {
        facts.virt_flags = true;
      }
    }
    break;
  }
  return facts;
}

bool ProbeKvm(const std::string& qemu_binary, const std::string& accel) {
  char dir_template[] = "/tmp/nanoplane-kvm-probe-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    return false;
  }
  const std::filesystem::path dir = dir_template;
  const std::string firmware = (dir / "probe.rom").string();
  {
    std::ofstream out(firmware, std::ios::binary);
    out << ProbeFirmware();
  }
  absl::StatusOr<CommandResult> result = RunCommand(
      {qemu_binary, "-machine", "q35,accel=" + accel, "-m", "16", "-nodefaults", "-no-user-config",
       "-display", "none", "-bios", firmware, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"},
      absl::Seconds(5));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return result.ok() && !result->timed_out && result->exit_code == kProbeSuccessStatus;
}

Accelerator DetectAccelerator(AcceleratorMode mode) {
  return ChooseAccelerator(mode, ReadAcceleratorFacts(), [] { return ProbeKvm(); });
}

}  // namespace nanoplane::agent
