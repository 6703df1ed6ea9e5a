#include "agent/adapters/accelerator.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace nanoplane::agent {
namespace {

TEST(AcceleratorTest, KvmOnlyWhenDeviceFlagsAndProbeAllAgree) {
  int probes = 0;
  auto works = [&] { return ++probes, true; };
  auto hangs = [&] { return ++probes, false; };
  const AcceleratorMode kAuto = AcceleratorMode::kAuto;
  EXPECT_EQ(ChooseAccelerator(kAuto, {.dev_kvm = true, .virt_flags = true}, works),
            Accelerator::kKvm);
  EXPECT_EQ(ChooseAccelerator(kAuto, {.dev_kvm = true, .virt_flags = true}, hangs),
            Accelerator::kTcg);
  EXPECT_EQ(probes, 2);
  // A paravirtual /dev/kvm without vmx/svm (this kind of machine): no probe.
  EXPECT_EQ(ChooseAccelerator(kAuto, {.dev_kvm = true, .virt_flags = false}, works),
            Accelerator::kTcg);
  EXPECT_EQ(ChooseAccelerator(kAuto, {.dev_kvm = false, .virt_flags = true}, works),
            Accelerator::kTcg);
  EXPECT_EQ(probes, 2);
}

TEST(AcceleratorTest, ExplicitModeOverridesDetection) {
  auto never = [] { return false; };
  EXPECT_EQ(ChooseAccelerator(AcceleratorMode::kKvm, {}, never), Accelerator::kKvm);
  EXPECT_EQ(ChooseAccelerator(AcceleratorMode::kTcg, {.dev_kvm = true, .virt_flags = true},
                              [] { return true; }),
            Accelerator::kTcg);
}

TEST(AcceleratorTest, ParsesModes) {
  EXPECT_EQ(*ParseAcceleratorMode("auto"), AcceleratorMode::kAuto);
  EXPECT_EQ(*ParseAcceleratorMode("kvm"), AcceleratorMode::kKvm);
  EXPECT_EQ(*ParseAcceleratorMode("tcg"), AcceleratorMode::kTcg);
  EXPECT_EQ(ParseAcceleratorMode("hvf").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(AcceleratorTest, ReadsFactsFromFiles) {
  const std::string dir = ::testing::TempDir() + "/accel-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/kvm") << "";
  std::ofstream(dir + "/cpu-vmx") << "processor : 0\nflags : fpu vme vmx sse\n";
  std::ofstream(dir + "/cpu-plain") << "processor : 0\nflags : fpu vme sse hypervisor\n";
  AcceleratorFacts facts = ReadAcceleratorFacts(dir + "/kvm", dir + "/cpu-vmx");
  EXPECT_TRUE(facts.dev_kvm);
  EXPECT_TRUE(facts.virt_flags);
  facts = ReadAcceleratorFacts(dir + "/none", dir + "/cpu-plain");
  EXPECT_FALSE(facts.dev_kvm);
  EXPECT_FALSE(facts.virt_flags);
  std::filesystem::remove_all(dir);
}

// The probe firmware itself, run under TCG: it must reach isa-debug-exit.
TEST(AcceleratorTest, ProbeFirmwareRunsToItsExit) {
  if (system("command -v qemu-system-x86_64 >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed";
  }
  EXPECT_TRUE(ProbeKvm("qemu-system-x86_64", "tcg"));
}

TEST(AcceleratorTest, ThisKindOfMachineGetsTcgWithoutVirtualizationFlags) {
  if (ReadAcceleratorFacts().virt_flags) {
    GTEST_SKIP() << "this host has vmx/svm";
  }
  EXPECT_EQ(DetectAccelerator(), Accelerator::kTcg);
}

}  // namespace
}  // namespace nanoplane::agent
