// The Vulkan side of Ember's devices: the instance, and what each physical device offers.
// Kernels, memory and the stream build on this (src/backend/vulkan/).
#pragma once

#include <vulkan/vulkan.h>

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
std::string missing_requirement(const VkPhysicalDeviceFeatures& features,
                                const VkPhysicalDeviceLimits& limits);

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
  const VkPhysicalDeviceMemoryProperties& memory() const { return memory_; }
  const std::string& name() const { return name_; }
  // Device-local memory the host can map: tensors are then read and written in place.
  bool unified_memory() const { return unified_; }
  // VK_KHR_push_descriptor's entry point when the device has it (null otherwise): buffers
  // are then bound straight into the command buffer, with no descriptor sets.
  PFN_vkCmdPushDescriptorSetKHR push_descriptor_set() const { return push_descriptor_set_; }
  // Shaders may index arrays of storage buffers (with workgroup-uniform indices), and a
  // kernel may bind kAdamDescriptors buffers (pushed, where push descriptors are used).
  bool buffer_arrays() const { return buffer_arrays_; }

 private:
  VkPhysicalDevice physical_ = VK_NULL_HANDLE;
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  uint32_t queue_family_ = 0;
  VkPhysicalDeviceLimits limits_{};
  VkPhysicalDeviceMemoryProperties memory_{};
  std::string name_;
  bool unified_ = false;
  PFN_vkCmdPushDescriptorSetKHR push_descriptor_set_ = nullptr;
  bool buffer_arrays_ = false;
};

}  // namespace ember::vulkan
