#pragma once

// What a test needs from the machine, and what it does when that is missing.
// On a developer's machine a test that needs libvirtd skips, saying how to get
// it. CI sets NP_REQUIRE to the comma-separated capabilities it provides, and
// there the same test fails instead: a test that CI can run never passes there
// by skipping. Capabilities:
//   libvirt: libvirtd answering on qemu:///system, root, and the Linux test
//            guest's parts (what scripts/test runs the VM tests with).
// What CI cannot have (a Nanos release, a real cluster) stays a plain skip.

#include <string_view>

#include "gtest/gtest.h"

namespace nanoplane::test_support {

// Whether NP_REQUIRE names `capability` (e.g. NP_REQUIRE=libvirt).
bool Required(std::string_view capability);

// Whether libvirtd answers on qemu:///system (`virsh version`, within 20 s).
bool LibvirtAnswers();

}  // namespace nanoplane::test_support

// In a void function (a test body or SetUp): when `available` is false, fails
// the test if NP_REQUIRE names `capability`, and skips it otherwise; either way
// with `message` (anything that streams into a gtest message).
#define NP_SKIP_UNLESS_AVAILABLE(available, capability, message)                    \
  do {                                                                              \
    if (!(available)) {                                                             \
      if (::nanoplane::test_support::Required(capability)) {                        \
        GTEST_FAIL() << "NP_REQUIRE names " << (capability) << ", and " << message; \
      }                                                                             \
      GTEST_SKIP() << message;                                                      \
    }                                                                               \
  } while (false)

// NP_SKIP_UNLESS_AVAILABLE for the VM tests: libvirtd answering on qemu:///system.
#define NP_SKIP_UNLESS_LIBVIRTD()                                                       \
  NP_SKIP_UNLESS_AVAILABLE(::nanoplane::test_support::LibvirtAnswers(), "libvirt",      \
                           "libvirtd does not answer on qemu:///system; start it with " \
                           "scripts/libvirtd start (as root)")
