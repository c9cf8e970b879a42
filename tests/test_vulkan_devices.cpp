// Vulkan device discovery: CPU implementations (lavapipe) only when asked for, and the
// properties `ember devices` reports for each device.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "backend/vulkan/context.h"
#include "ember/ember.h"

namespace ember {
namespace {

bool any_vulkan_driver() {
  vulkan::Instance instance;
  return instance.valid() && !instance.adapters().empty();
}

TEST(VulkanDevices, CpuImplementationsOnlyWhenAllowed) {
  ::unsetenv("EMBER_VULKAN_ALLOW_CPU");
  std::vector<DeviceInfo> devices = available_devices();
  ASSERT_FALSE(devices.empty());
  EXPECT_TRUE(devices[0].device.is_cpu());
  for (size_t i = 1; i < devices.size(); ++i) {
    EXPECT_TRUE(devices[i].device.is_vulkan());
    EXPECT_NE(devices[i].kind, "cpu") << devices[i].name;
  }
}

TEST(VulkanDevices, ReportWhatKernelsWillNeed) {
  if (!any_vulkan_driver()) GTEST_SKIP() << "no Vulkan driver on this machine";
  ::setenv("EMBER_VULKAN_ALLOW_CPU", "1", 1);
  std::vector<DeviceInfo> devices = available_devices();
  ::unsetenv("EMBER_VULKAN_ALLOW_CPU");
  ASSERT_GE(devices.size(), 2u) << "the Vulkan driver's devices are missing";
  for (size_t i = 1; i < devices.size(); ++i) {
    const DeviceInfo& info = devices[i];
    EXPECT_EQ(info.device, Device(DeviceType::Vulkan, static_cast<int>(i - 1)));
    EXPECT_FALSE(info.name.empty());
    std::set<std::string> keys;
    for (const auto& [key, value] : info.details) {
      EXPECT_FALSE(value.empty()) << key;
      keys.insert(key);
    }
    for (const char* key : {"driver", "vulkan", "memory heaps", "unified memory", "subgroup size",
                            "shared memory", "max storage buffer", "float16", "int64"}) {
      EXPECT_TRUE(keys.count(key)) << info.name << " lacks " << key;
    }
  }
}

// A device that lacks what the kernels need is refused with the reason, not run into
// undefined behaviour. The lowered limits are at or near Vulkan's guaranteed minimums.
TEST(VulkanDevices, DevicesBelowTheKernelsNeedsAreNamedWhy) {
  VkPhysicalDeviceFeatures features{};
  features.shaderInt64 = VK_TRUE;
  VkPhysicalDeviceLimits limits{};
  limits.maxComputeWorkGroupInvocations = 1024;
  limits.maxComputeWorkGroupSize[0] = 1024;
  limits.maxPerStageDescriptorStorageBuffers = 16;
  EXPECT_EQ(vulkan::missing_requirement(features, limits), "");

  VkPhysicalDeviceLimits small = limits;
  small.maxComputeWorkGroupInvocations = 128;
  EXPECT_EQ(vulkan::missing_requirement(features, small),
            "workgroups of 256 invocations are needed, it allows 128");
  small = limits;
  small.maxComputeWorkGroupSize[0] = 192;
  EXPECT_EQ(vulkan::missing_requirement(features, small),
            "workgroups of 256 invocations are needed, it allows 192");
  small = limits;
  small.maxPerStageDescriptorStorageBuffers = 4;
  EXPECT_EQ(vulkan::missing_requirement(features, small),
            "8 storage buffers per shader are needed, it allows 4");
  features.shaderInt64 = VK_FALSE;
  EXPECT_EQ(vulkan::missing_requirement(features, limits), "it lacks shaderInt64");
}

}  // namespace
}  // namespace ember
