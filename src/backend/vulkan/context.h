// The Vulkan side of Ember's devices: the instance, and what each physical device offers.
// Kernels, memory and the stream build on this (src/backend/vulkan/).
#pragma once

#include <vulkan/vulkan.h>

#include <array>
#include <string>
#include <vector>

#include "ember/device.h"

namespace ember::vulkan {

// One physical device as `ember devices` shows it.
struct Adapter {
  VkPhysicalDevice handle = VK_NULL_HANDLE;
  std::string name;
  std::string kind;     // "integrated", "discrete", "virtual", "cpu", "other"
  bool usable = false;  // a real GPU, or a CPU device when EMBER_VULKAN_ALLOW_CPU=1
  std::vector<std::pair<std::string, std::string>> details;
};

// One matrix shape a device's cooperative-matrix instructions take (VK_KHR_cooperative_matrix):
// an m x k A times a k x n B plus an m x n C, component types in Ember's dtype words.
struct CooperativeMatrixShape {
  uint32_t m = 0, n = 0, k = 0;
  std::string a, b, c, result;
};

// What a device can do that kernels choose variants and tiles from, read once when the
// device is opened. EMBER_VULKAN_NO_16BIT_STORAGE=1 and EMBER_VULKAN_NO_SUBGROUPS=1 report
// the feature absent (and leave it disabled), so that tests cover the fallback paths on a
// device that has it.
struct DeviceFeatures {
  uint32_t subgroup_size = 1;
  // The subgroup operations compute shaders may use (VkPhysicalDeviceSubgroupProperties,
  // cleared when the compute stage is not among the supported stages).
  VkSubgroupFeatureFlags subgroup_operations = 0;
  bool storage_16bit = false;          // storageBuffer16BitAccess
  bool uniform_storage_16bit = false;  // uniformAndStorageBuffer16BitAccess
  bool float16_arithmetic = false;     // shaderFloat16
  bool int16 = false;
  bool int64 = false;
  bool buffer_array_indexing = false;  // shaderStorageBufferArrayDynamicIndexing
  uint32_t shared_memory_bytes = 0;
  uint32_t max_workgroup_invocations = 0;
  std::array<uint32_t, 3> max_workgroup_size{};
  uint32_t max_storage_buffers_per_stage = 0;
  std::vector<CooperativeMatrixShape> cooperative_matrix_shapes;

  bool subgroup_has(VkSubgroupFeatureFlags operations) const {
    return (subgroup_operations & operations) == operations;
  }
  // subgroupAdd/Min/Max and the rest of GL_KHR_shader_subgroup_arithmetic.
  bool subgroup_arithmetic() const {
    return subgroup_has(VK_SUBGROUP_FEATURE_BASIC_BIT | VK_SUBGROUP_FEATURE_ARITHMETIC_BIT);
  }
};

// Reads a physical device's features, applying the EMBER_VULKAN_NO_* overrides.
DeviceFeatures query_features(VkInstance instance, VkPhysicalDevice device);

// A Vulkan instance with the portability extensions when the loader has them (MoltenVK)
// and the validation layer when EMBER_VALIDATE=1. Without a Vulkan driver, valid() is false.
class Instance {
 public:
  Instance();
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  bool valid() const { return instance_ != VK_NULL_HANDLE; }
  VkInstance handle() const { return instance_; }
  // Every physical device, in the driver's order.
  std::vector<Adapter> adapters() const;

 private:
  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
};

// The devices Ember can run on: vulkan:0, vulkan:1, ... over the usable adapters.
std::vector<DeviceInfo> device_infos();

// The instance every Context shares; created on first use and never destroyed, because
// tensors may outlive static objects.
Instance& shared_instance();

// Raises ember::Error naming the VkResult when result is not VK_SUCCESS:
// "[vulkan] vkQueueSubmit failed: VK_ERROR_DEVICE_LOST".
void check(VkResult result, const char* call);
const char* result_name(VkResult result);

// The buffers the multi-tensor optimizer kernel binds at once (shaders/optim.comp).
inline constexpr uint32_t kAdamDescriptors = 29;
// The largest workgroup of any kernel, laid out along x; a device must allow it.
inline constexpr uint32_t kMaxWorkgroupInvocations = 256;

// What Ember's kernels need beyond Vulkan's guaranteed minimums and a device lacks, in
// words; empty when it has everything.
std::string missing_requirement(const DeviceFeatures& features);

// One opened device: the logical device, its compute queue and what it can do.
class Context {
 public:
  // Opens vulkan:index (counted over the usable adapters). Raises ember::Error if there
  // is no such device.
  explicit Context(int index);
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  VkDevice device() const { return device_; }
  VkQueue queue() const { return queue_; }
  uint32_t queue_family() const { return queue_family_; }
  VkPhysicalDevice physical() const { return physical_; }
  const VkPhysicalDeviceLimits& limits() const { return limits_; }
  const DeviceFeatures& features() const { return features_; }
  const VkPhysicalDeviceMemoryProperties& memory() const { return memory_; }
  const std::string& name() const { return name_; }
  // Device-local memory the host can map: tensors are then read and written in place.
  bool unified_memory() const { return unified_; }
  // VK_KHR_push_descriptor's entry point when the device has it (null otherwise): buffers
  // are then bound straight into the command buffer, with no descriptor sets.
  PFN_vkCmdPushDescriptorSetKHR push_descriptor_set() const { return push_descriptor_set_; }
  // Shaders may index arrays of storage buffers (with workgroup-uniform indices), and a
  // kernel may bind kAdamDescriptors buffers (pushed, where push descriptors are used).
  bool buffer_arrays() const {
    return features_.buffer_array_indexing &&
           limits_.maxPerStageDescriptorStorageBuffers >= kAdamDescriptors &&
           limits_.maxDescriptorSetStorageBuffers >= kAdamDescriptors;
  }

 private:
  VkPhysicalDevice physical_ = VK_NULL_HANDLE;
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  uint32_t queue_family_ = 0;
  VkPhysicalDeviceLimits limits_{};
  DeviceFeatures features_;
  VkPhysicalDeviceMemoryProperties memory_{};
  std::string name_;
  bool unified_ = false;
  PFN_vkCmdPushDescriptorSetKHR push_descriptor_set_ = nullptr;
};

}  // namespace ember::vulkan
