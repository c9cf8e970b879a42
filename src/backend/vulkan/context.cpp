#include "backend/vulkan/context.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace ember::vulkan {

namespace {

bool env_is_one(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && std::string(value) == "1";
}

bool has_instance_extension(const char* name) {
  uint32_t count = 0;
  vkEnumerateInstanceExtensionProperties(nullptr, &count, nullptr);
  std::vector<VkExtensionProperties> extensions(count);
  vkEnumerateInstanceExtensionProperties(nullptr, &count, extensions.data());
  for (const auto& e : extensions) {
    if (std::strcmp(e.extensionName, name) == 0) return true;
  }
  return false;
}

bool has_layer(const char* name) {
  uint32_t count = 0;
  vkEnumerateInstanceLayerProperties(&count, nullptr);
  std::vector<VkLayerProperties> layers(count);
  vkEnumerateInstanceLayerProperties(&count, layers.data());
  for (const auto& l : layers) {
    if (std::strcmp(l.layerName, name) == 0) return true;
  }
  return false;
}

std::string version_string(uint32_t v) {
  return std::to_string(VK_API_VERSION_MAJOR(v)) + "." + std::to_string(VK_API_VERSION_MINOR(v)) +
         "." + std::to_string(VK_API_VERSION_PATCH(v));
}

std::string kind_of(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      return "cpu";
    default:
      return "other";
  }
}

std::string bytes_string(VkDeviceSize bytes) {
  double mib = static_cast<double>(bytes) / (1024.0 * 1024.0);
  char buffer[32];
  if (mib < 1024) {
    std::snprintf(buffer, sizeof buffer, "%.0f MiB", mib);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.1f GiB", mib / 1024);
  }
  return buffer;
}

// Memory is unified when a device-local heap can also be mapped by the host.
bool unified_memory(const VkPhysicalDeviceMemoryProperties& memory) {
  constexpr VkMemoryPropertyFlags kBoth =
      VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
  for (uint32_t i = 0; i < memory.memoryTypeCount; ++i) {
    const VkMemoryType& type = memory.memoryTypes[i];
    bool large_heap = memory.memoryHeaps[type.heapIndex].size >= (VkDeviceSize{1} << 30);
    if ((type.propertyFlags & kBoth) == kBoth && large_heap) return true;
  }
  return false;
}

std::string heaps_string(const VkPhysicalDeviceMemoryProperties& memory) {
  std::string out;
  for (uint32_t i = 0; i < memory.memoryHeapCount; ++i) {
    const VkMemoryHeap& heap = memory.memoryHeaps[i];
    if (!out.empty()) out += ", ";
    out += bytes_string(heap.size);
    if (heap.flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) out += " device-local";
  }
  return out;
}

Adapter describe(VkPhysicalDevice device, bool allow_cpu) {
  VkPhysicalDeviceDriverProperties driver{};
  driver.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES;
  VkPhysicalDeviceSubgroupProperties subgroup{};
  subgroup.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES;
  subgroup.pNext = &driver;
  VkPhysicalDeviceProperties2 properties{};
  properties.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
  properties.pNext = &subgroup;
  vkGetPhysicalDeviceProperties2(device, &properties);
  VkPhysicalDeviceShaderFloat16Int8Features float16{};
  float16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES;
  VkPhysicalDeviceFeatures2 features{};
  features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
  features.pNext = &float16;
  vkGetPhysicalDeviceFeatures2(device, &features);
  VkPhysicalDeviceMemoryProperties memory;
  vkGetPhysicalDeviceMemoryProperties(device, &memory);

  const VkPhysicalDeviceProperties& p = properties.properties;
  Adapter adapter;
  adapter.handle = device;
  adapter.name = p.deviceName;
  adapter.kind = kind_of(p.deviceType);
  adapter.usable = adapter.kind == "integrated" || adapter.kind == "discrete" ||
                   adapter.kind == "virtual" || (adapter.kind == "cpu" && allow_cpu);
  auto yes_no = [](bool b) { return std::string(b ? "yes" : "no"); };
  adapter.details = {
      {"driver", std::string(driver.driverName) + " " + driver.driverInfo},
      {"vulkan", version_string(p.apiVersion)},
      {"memory heaps", heaps_string(memory)},
      {"unified memory", yes_no(unified_memory(memory))},
      {"subgroup size", std::to_string(subgroup.subgroupSize)},
      {"shared memory", std::to_string(p.limits.maxComputeSharedMemorySize / 1024) + " KiB"},
      {"max storage buffer", bytes_string(p.limits.maxStorageBufferRange)},
      {"float16", yes_no(float16.shaderFloat16 == VK_TRUE)},
      {"int64", yes_no(features.features.shaderInt64 == VK_TRUE)},
  };
  return adapter;
}

}  // namespace

Instance::Instance() {
  VkApplicationInfo app{};
  app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
  app.pApplicationName = "ember";
  app.apiVersion = VK_API_VERSION_1_2;
  VkInstanceCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
  info.pApplicationInfo = &app;
  std::vector<const char*> extensions, layers;
  // MoltenVK lists its devices only to instances that accept portability drivers.
  if (has_instance_extension(VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME)) {
    extensions.push_back(VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME);
    info.flags |= VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR;
  }
  if (env_is_one("EMBER_VALIDATE") && has_layer("VK_LAYER_KHRONOS_validation")) {
    layers.push_back("VK_LAYER_KHRONOS_validation");
  }
  info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();
  info.enabledLayerCount = static_cast<uint32_t>(layers.size());
  info.ppEnabledLayerNames = layers.data();
  if (vkCreateInstance(&info, nullptr, &instance_) != VK_SUCCESS) instance_ = VK_NULL_HANDLE;
}

Instance::~Instance() {
  if (instance_ != VK_NULL_HANDLE) vkDestroyInstance(instance_, nullptr);
}

std::vector<Adapter> Instance::adapters() const {
  if (!valid()) return {};
  uint32_t count = 0;
  vkEnumeratePhysicalDevices(instance_, &count, nullptr);
  std::vector<VkPhysicalDevice> devices(count);
  vkEnumeratePhysicalDevices(instance_, &count, devices.data());
  bool allow_cpu = env_is_one("EMBER_VULKAN_ALLOW_CPU");
  std::vector<Adapter> adapters;
  for (VkPhysicalDevice device : devices) adapters.push_back(describe(device, allow_cpu));
  return adapters;
}

std::vector<DeviceInfo> device_infos() {
  Instance instance;
  std::vector<DeviceInfo> infos;
  int index = 0;
  for (Adapter& adapter : instance.adapters()) {
    if (!adapter.usable) continue;
    infos.push_back({Device(DeviceType::Vulkan, index++), adapter.name, adapter.kind,
                     std::move(adapter.details)});
  }
  return infos;
}

}  // namespace ember::vulkan
