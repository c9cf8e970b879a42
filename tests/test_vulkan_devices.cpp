// Vulkan device discovery: CPU implementations (lavapipe) only when asked for, and the
// properties `ember devices` reports for each device.
#include <gtest/gtest.h>

#include <bit>
#include <cstdlib>
#include <set>
#include <string>

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
    for (const char* key :
         {"driver", "vulkan", "memory heaps", "unified memory", "max storage buffer",
          "subgroup size", "subgroup operations", "16-bit storage", "float16 arithmetic", "int16",
          "int64", "shared memory", "workgroup limits", "cooperative matrix"}) {
      EXPECT_TRUE(keys.count(key)) << info.name << " lacks " << key;
    }
  }
}

// The features as the test reads them itself, with no Ember code between.
struct IndependentQuery {
  VkPhysicalDeviceSubgroupProperties subgroup{};
  VkPhysicalDeviceProperties2 properties{};
  VkPhysicalDevice16BitStorageFeatures storage{};
  VkPhysicalDeviceShaderFloat16Int8Features float16{};
  VkPhysicalDeviceFeatures2 features{};

  explicit IndependentQuery(VkPhysicalDevice device) {
    subgroup.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES;
    properties.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
    properties.pNext = &subgroup;
    vkGetPhysicalDeviceProperties2(device, &properties);
    storage.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES;
    float16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES;
    float16.pNext = &storage;
    features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
    features.pNext = &float16;
    vkGetPhysicalDeviceFeatures2(device, &features);
  }
};

// Everything but the EMBER_VULKAN_NO_* switches, which the callers check.
void expect_matches(const vulkan::DeviceFeatures& f, const IndependentQuery& q) {
  const VkPhysicalDeviceLimits& limits = q.properties.properties.limits;
  EXPECT_GE(f.subgroup_size, 1u);
  EXPECT_TRUE(std::has_single_bit(f.subgroup_size)) << f.subgroup_size;
  EXPECT_EQ(f.subgroup_size, q.subgroup.subgroupSize);
  EXPECT_EQ(f.float16_arithmetic, q.float16.shaderFloat16 == VK_TRUE);
  EXPECT_EQ(f.int16, q.features.features.shaderInt16 == VK_TRUE);
  EXPECT_EQ(f.int64, q.features.features.shaderInt64 == VK_TRUE);
  EXPECT_EQ(f.shared_memory_bytes, limits.maxComputeSharedMemorySize);
  EXPECT_EQ(f.max_workgroup_invocations, limits.maxComputeWorkGroupInvocations);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(f.max_workgroup_size[i], limits.maxComputeWorkGroupSize[i]);
  EXPECT_EQ(f.max_storage_buffers_per_stage, limits.maxPerStageDescriptorStorageBuffers);
}

bool compute_subgroups(const IndependentQuery& q) {
  return (q.subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) != 0;
}

class VulkanFeatures : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!any_vulkan_driver()) GTEST_SKIP() << "no Vulkan driver on this machine";
    ::unsetenv("EMBER_VULKAN_NO_SUBGROUPS");
    ::unsetenv("EMBER_VULKAN_NO_16BIT_STORAGE");
  }
  void TearDown() override {
    ::unsetenv("EMBER_VULKAN_NO_SUBGROUPS");
    ::unsetenv("EMBER_VULKAN_NO_16BIT_STORAGE");
  }
  vulkan::Instance instance_;
};

TEST_F(VulkanFeatures, MatchAnIndependentQuery) {
  for (const vulkan::Adapter& adapter : instance_.adapters()) {
    SCOPED_TRACE(adapter.name);
    vulkan::DeviceFeatures f = vulkan::query_features(instance_.handle(), adapter.handle);
    IndependentQuery q(adapter.handle);
    expect_matches(f, q);
    EXPECT_EQ(f.storage_16bit, q.storage.storageBuffer16BitAccess == VK_TRUE);
    EXPECT_EQ(f.subgroup_operations, compute_subgroups(q) ? q.subgroup.supportedOperations : 0u);
    bool arithmetic = (q.subgroup.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT) &&
                      (q.subgroup.supportedOperations & VK_SUBGROUP_FEATURE_BASIC_BIT);
    EXPECT_EQ(f.subgroup_arithmetic(), arithmetic && compute_subgroups(q));
    for (const vulkan::CooperativeMatrixShape& shape : f.cooperative_matrix_shapes) {
      EXPECT_GT(shape.m * shape.n * shape.k, 0u);
      EXPECT_FALSE(shape.a.empty());
    }
  }
}

// lavapipe has 16-bit storage, float16 arithmetic and subgroup arithmetic, so the fallback
// switches are seen to turn something off here.
TEST_F(VulkanFeatures, SwitchesReportTheFeatureAbsent) {
  ::setenv("EMBER_VULKAN_NO_SUBGROUPS", "1", 1);
  ::setenv("EMBER_VULKAN_NO_16BIT_STORAGE", "1", 1);
  for (const vulkan::Adapter& adapter : instance_.adapters()) {
    SCOPED_TRACE(adapter.name);
    vulkan::DeviceFeatures f = vulkan::query_features(instance_.handle(), adapter.handle);
    IndependentQuery q(adapter.handle);
    expect_matches(f, q);
    EXPECT_FALSE(f.storage_16bit);
    EXPECT_FALSE(f.uniform_storage_16bit);
    EXPECT_FALSE(f.subgroup_arithmetic());
    EXPECT_EQ(f.subgroup_operations, 0u);
  }
}

TEST_F(VulkanFeatures, DevicesSayWhatIsSwitchedOff) {
  ::setenv("EMBER_VULKAN_ALLOW_CPU", "1", 1);
  ::setenv("EMBER_VULKAN_NO_16BIT_STORAGE", "1", 1);
  ::setenv("EMBER_VULKAN_NO_SUBGROUPS", "1", 1);
  std::vector<DeviceInfo> devices = available_devices();
  ::unsetenv("EMBER_VULKAN_ALLOW_CPU");
  ASSERT_GE(devices.size(), 2u);
  for (size_t i = 1; i < devices.size(); ++i) {
    std::set<std::string> values;
    for (const auto& [key, value] : devices[i].details) {
      if (key == "16-bit storage") {
        EXPECT_EQ(value, "no (off: EMBER_VULKAN_NO_16BIT_STORAGE=1)");
      } else if (key == "subgroup operations") {
        EXPECT_EQ(value, "none (off: EMBER_VULKAN_NO_SUBGROUPS=1)");
      } else if (key == "cooperative matrix") {
        EXPECT_FALSE(value.empty());
      }
      values.insert(key);
    }
    EXPECT_TRUE(values.count("16-bit storage") && values.count("subgroup operations"));
  }
}

// A Context reads the switches when it opens the device, and leaves the feature disabled.
TEST_F(VulkanFeatures, ContextOpenedWithTheSwitchesHasNeither) {
  ::setenv("EMBER_VULKAN_ALLOW_CPU", "1", 1);
  ::setenv("EMBER_VULKAN_NO_SUBGROUPS", "1", 1);
  ::setenv("EMBER_VULKAN_NO_16BIT_STORAGE", "1", 1);
  // Kept for the process's life, as the backend keeps its contexts.
  static const vulkan::Context* const context = new vulkan::Context(0);
  ::unsetenv("EMBER_VULKAN_ALLOW_CPU");
  const vulkan::DeviceFeatures& f = context->features();
  EXPECT_FALSE(f.storage_16bit);
  EXPECT_FALSE(f.subgroup_arithmetic());
  expect_matches(f, IndependentQuery(context->physical()));
}

// A device that lacks what the kernels need is refused with the reason, not run into
// undefined behaviour. The lowered limits are at or near Vulkan's guaranteed minimums.
TEST(VulkanDevices, DevicesBelowTheKernelsNeedsAreNamedWhy) {
  vulkan::DeviceFeatures features;
  features.int64 = true;
  features.max_workgroup_invocations = 1024;
  features.max_workgroup_size = {1024, 1024, 64};
  features.max_storage_buffers_per_stage = 16;
  EXPECT_EQ(vulkan::missing_requirement(features), "");

  vulkan::DeviceFeatures small = features;
  small.max_workgroup_invocations = 128;
  EXPECT_EQ(vulkan::missing_requirement(small),
            "workgroups of 256 invocations are needed, it allows 128");
  small = features;
  small.max_workgroup_size[0] = 192;
  EXPECT_EQ(vulkan::missing_requirement(small),
            "workgroups of 256 invocations are needed, it allows 192");
  small = features;
  small.max_storage_buffers_per_stage = 4;
  EXPECT_EQ(vulkan::missing_requirement(small),
            "8 storage buffers per shader are needed, it allows 4");
  features.int64 = false;
  EXPECT_EQ(vulkan::missing_requirement(features), "it lacks shaderInt64");
}

}  // namespace
}  // namespace ember
