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
};

// The devices Ember can run on: vulkan:0, vulkan:1, ... over the usable adapters.
std::vector<DeviceInfo> device_infos();

}  // namespace ember::vulkan
