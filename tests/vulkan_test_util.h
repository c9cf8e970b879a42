// Shared by the Vulkan tests: the device they run on, and the check that it exists.
#pragma once

#include <cstdlib>

#include "test_util.h"

namespace ember::test {

inline const Device kGpu("vulkan:0");

inline bool have_gpu() {
  static const bool present = available_devices().size() > 1;
  return present;
}

}  // namespace ember::test

// Skips the test when there is no Vulkan device, or fails it when EMBER_REQUIRE_VULKAN is
// set (as ctest does, so that CI cannot pass by skipping).
#define REQUIRE_GPU()                                                              \
  do {                                                                             \
    if (!::ember::test::have_gpu()) {                                              \
      if (std::getenv("EMBER_REQUIRE_VULKAN") != nullptr) FAIL() << "no vulkan:0"; \
      GTEST_SKIP() << "no Vulkan device";                                          \
    }                                                                              \
  } while (false)
