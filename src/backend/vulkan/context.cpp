#include "backend/vulkan/context.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>

#include "backend/vulkan/pipelines.h"
#include "core/check.h"

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
  constexpr VkMemoryPropertyFlags kBoth = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT |
                                          VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                          VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
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

// Validation messages go to stderr, one line each, so a test can insist there are none.
VKAPI_ATTR VkBool32 VKAPI_CALL print_validation_message(
    VkDebugUtilsMessageSeverityFlagBitsEXT /*severity*/, VkDebugUtilsMessageTypeFlagsEXT /*types*/,
    const VkDebugUtilsMessengerCallbackDataEXT* data, void* /*user*/) {
  std::fprintf(stderr, "[vulkan validation] %s\n", data->pMessage);
  return VK_FALSE;
}

VkDebugUtilsMessengerCreateInfoEXT messenger_info() {
  VkDebugUtilsMessengerCreateInfoEXT info{};
  info.sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT;
  info.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                         VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  info.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                     VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                     VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  info.pfnUserCallback = &print_validation_message;
  return info;
}

bool has_device_extension(VkPhysicalDevice device, const char* name) {
  uint32_t count = 0;
  vkEnumerateDeviceExtensionProperties(device, nullptr, &count, nullptr);
  std::vector<VkExtensionProperties> extensions(count);
  vkEnumerateDeviceExtensionProperties(device, nullptr, &count, extensions.data());
  for (const auto& e : extensions) {
    if (std::strcmp(e.extensionName, name) == 0) return true;
  }
  return false;
}

uint32_t max_push_descriptors(VkPhysicalDevice device) {
  VkPhysicalDevicePushDescriptorPropertiesKHR push{};
  push.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PUSH_DESCRIPTOR_PROPERTIES_KHR;
  VkPhysicalDeviceProperties2 properties{};
  properties.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
  properties.pNext = &push;
  vkGetPhysicalDeviceProperties2(device, &properties);
  return push.maxPushDescriptors;
}

uint32_t compute_queue_family(VkPhysicalDevice device) {
  uint32_t count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(device, &count, nullptr);
  std::vector<VkQueueFamilyProperties> families(count);
  vkGetPhysicalDeviceQueueFamilyProperties(device, &count, families.data());
  // A compute-only family is the dedicated compute engine on discrete GPUs.
  for (uint32_t i = 0; i < count; ++i) {
    if ((families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) &&
        !(families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT)) {
      return i;
    }
  }
  for (uint32_t i = 0; i < count; ++i) {
    if (families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) return i;
  }
  detail::fail("vulkan", "the device has no compute queue");
}

}  // namespace

const char* result_name(VkResult result) {
  switch (result) {
    case VK_SUCCESS:
      return "VK_SUCCESS";
    case VK_NOT_READY:
      return "VK_NOT_READY";
    case VK_TIMEOUT:
      return "VK_TIMEOUT";
    case VK_ERROR_OUT_OF_HOST_MEMORY:
      return "VK_ERROR_OUT_OF_HOST_MEMORY";
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
      return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
    case VK_ERROR_INITIALIZATION_FAILED:
      return "VK_ERROR_INITIALIZATION_FAILED";
    case VK_ERROR_DEVICE_LOST:
      return "VK_ERROR_DEVICE_LOST";
    case VK_ERROR_MEMORY_MAP_FAILED:
      return "VK_ERROR_MEMORY_MAP_FAILED";
    case VK_ERROR_EXTENSION_NOT_PRESENT:
      return "VK_ERROR_EXTENSION_NOT_PRESENT";
    case VK_ERROR_FEATURE_NOT_PRESENT:
      return "VK_ERROR_FEATURE_NOT_PRESENT";
    case VK_ERROR_TOO_MANY_OBJECTS:
      return "VK_ERROR_TOO_MANY_OBJECTS";
    case VK_ERROR_FRAGMENTED_POOL:
      return "VK_ERROR_FRAGMENTED_POOL";
    case VK_ERROR_OUT_OF_POOL_MEMORY:
      return "VK_ERROR_OUT_OF_POOL_MEMORY";
    default:
      return "an unknown VkResult";
  }
}

void check(VkResult result, const char* call) {
  if (result != VK_SUCCESS) [[unlikely]] {
    detail::fail("vulkan", call, " failed: ", result_name(result), " (", static_cast<int>(result),
                 ")");
  }
}

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
  VkDebugUtilsMessengerCreateInfoEXT messenger = messenger_info();
  bool validate = env_is_one("EMBER_VALIDATE") && has_layer("VK_LAYER_KHRONOS_validation");
  // Synchronization validation reports a barrier the stream should have recorded, even
  // on a device such as lavapipe that runs dispatches one after another anyway.
  VkValidationFeatureEnableEXT sync = VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT;
  VkValidationFeaturesEXT features{};
  features.sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT;
  features.enabledValidationFeatureCount = 1;
  features.pEnabledValidationFeatures = &sync;
  if (validate) {
    layers.push_back("VK_LAYER_KHRONOS_validation");
    extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    extensions.push_back(VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME);
    features.pNext = &messenger;  // also reports on vkCreateInstance itself
    info.pNext = &features;
  }
  info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();
  info.enabledLayerCount = static_cast<uint32_t>(layers.size());
  info.ppEnabledLayerNames = layers.data();
  if (vkCreateInstance(&info, nullptr, &instance_) != VK_SUCCESS) {
    instance_ = VK_NULL_HANDLE;
    return;
  }
  if (validate) {
    auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkCreateDebugUtilsMessengerEXT"));
    if (create != nullptr) create(instance_, &messenger, nullptr, &messenger_);
  }
}

Instance::~Instance() {
  if (instance_ == VK_NULL_HANDLE) return;
  if (messenger_ != VK_NULL_HANDLE) {
    auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroy != nullptr) destroy(instance_, messenger_, nullptr);
  }
  vkDestroyInstance(instance_, nullptr);
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

std::string missing_requirement(const VkPhysicalDeviceFeatures& features,
                                const VkPhysicalDeviceLimits& limits) {
  if (features.shaderInt64 != VK_TRUE) return "it lacks shaderInt64";
  std::ostringstream missing;
  // Vulkan guarantees 128 invocations and 4 storage buffers.
  uint32_t workgroup =
      std::min(limits.maxComputeWorkGroupInvocations, limits.maxComputeWorkGroupSize[0]);
  if (workgroup < kMaxWorkgroupInvocations) {
    missing << "workgroups of " << kMaxWorkgroupInvocations << " invocations are needed, it allows "
            << workgroup;
  } else if (limits.maxPerStageDescriptorStorageBuffers < kMaxBindings) {
    missing << kMaxBindings << " storage buffers per shader are needed, it allows "
            << limits.maxPerStageDescriptorStorageBuffers;
  }
  return missing.str();
}

Instance& shared_instance() {
  static Instance* instance = new Instance;
  return *instance;
}

Context::Context(int index) {
  Instance& instance = shared_instance();
  EMBER_CHECK(instance.valid(), "vulkan", "no Vulkan driver could be loaded");
  std::vector<Adapter> usable;
  for (Adapter& adapter : instance.adapters()) {
    if (adapter.usable) usable.push_back(std::move(adapter));
  }
  EMBER_CHECK(index >= 0 && index < static_cast<int>(usable.size()), "device",
              "no device vulkan:", index, "; this machine has ", usable.size(),
              " usable Vulkan device(s) (a CPU implementation such as lavapipe is used only "
              "with EMBER_VULKAN_ALLOW_CPU=1)");
  physical_ = usable[index].handle;
  name_ = usable[index].name;
  VkPhysicalDeviceProperties properties;
  vkGetPhysicalDeviceProperties(physical_, &properties);
  limits_ = properties.limits;
  vkGetPhysicalDeviceMemoryProperties(physical_, &memory_);
  // A discrete GPU may map its memory through the PCIe BAR, but host reads from there are
  // uncached and slow: staging buffers serve it better. EMBER_VULKAN_STAGING=1 forces the
  // staging path anywhere, which is how tests cover it on lavapipe.
  unified_ = properties.deviceType != VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU &&
             vulkan::unified_memory(memory_) && !env_is_one("EMBER_VULKAN_STAGING");
  queue_family_ = compute_queue_family(physical_);

  float priority = 1.0f;
  VkDeviceQueueCreateInfo queue{};
  queue.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO;
  queue.queueFamilyIndex = queue_family_;
  queue.queueCount = 1;
  queue.pQueuePriorities = &priority;
  std::vector<const char*> extensions;
  // MoltenVK requires the portability subset to be enabled when it offers it.
  if (has_device_extension(physical_, "VK_KHR_portability_subset")) {
    extensions.push_back("VK_KHR_portability_subset");
  }
  bool push_descriptors = has_device_extension(physical_, VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME) &&
                          !env_is_one("EMBER_VULKAN_NO_PUSH_DESCRIPTORS") &&
                          max_push_descriptors(physical_) >= kAdamDescriptors;
  if (push_descriptors) extensions.push_back(VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME);
  VkPhysicalDeviceFeatures supported;
  vkGetPhysicalDeviceFeatures(physical_, &supported);
  std::string missing = missing_requirement(supported, limits_);
  EMBER_CHECK(missing.empty(), "vulkan", name_, " cannot run Ember's kernels: ", missing);
  VkPhysicalDeviceFeatures features{};
  features.shaderInt64 = VK_TRUE;
  buffer_arrays_ = supported.shaderStorageBufferArrayDynamicIndexing == VK_TRUE &&
                   limits_.maxPerStageDescriptorStorageBuffers >= kAdamDescriptors &&
                   limits_.maxDescriptorSetStorageBuffers >= kAdamDescriptors;
  features.shaderStorageBufferArrayDynamicIndexing =
      supported.shaderStorageBufferArrayDynamicIndexing;
  VkDeviceCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO;
  info.pEnabledFeatures = &features;
  info.queueCreateInfoCount = 1;
  info.pQueueCreateInfos = &queue;
  info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();
  check(vkCreateDevice(physical_, &info, nullptr, &device_), "vkCreateDevice");
  vkGetDeviceQueue(device_, queue_family_, 0, &queue_);
  if (push_descriptors) {
    push_descriptor_set_ = reinterpret_cast<PFN_vkCmdPushDescriptorSetKHR>(
        vkGetDeviceProcAddr(device_, "vkCmdPushDescriptorSetKHR"));
  }
}

}  // namespace ember::vulkan
