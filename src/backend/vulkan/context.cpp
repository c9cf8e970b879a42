#include "backend/vulkan/context.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
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

constexpr const char* kNoSubgroups = "EMBER_VULKAN_NO_SUBGROUPS";
constexpr const char* kNo16BitStorage = "EMBER_VULKAN_NO_16BIT_STORAGE";

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

std::string yes_no(bool b) { return b ? "yes" : "no"; }

// Debian's Vulkan headers (1.3.239) predate VK_KHR_cooperative_matrix, so its property
// struct and entry point are declared here as the specification (and the ABI) has them.
constexpr const char* kCooperativeMatrixExtension = "VK_KHR_cooperative_matrix";
constexpr auto kCooperativeMatrixPropertiesType = static_cast<VkStructureType>(1000506001);
struct CooperativeMatrixProperties {
  VkStructureType sType = kCooperativeMatrixPropertiesType;
  void* pNext = nullptr;
  uint32_t MSize = 0, NSize = 0, KSize = 0;
  int32_t AType = 0, BType = 0, CType = 0, ResultType = 0;
  VkBool32 saturatingAccumulation = VK_FALSE;
  int32_t scope = 0;
};
using GetCooperativeMatrixProperties = VkResult(VKAPI_PTR*)(VkPhysicalDevice, uint32_t*,
                                                            CooperativeMatrixProperties*);

std::string component_type_name(int32_t type) {
  static const char* const kNames[] = {"float16", "float32", "float64", "int8",   "int16", "int32",
                                       "int64",   "uint8",   "uint16",  "uint32", "uint64"};
  if (type >= 0 && type < static_cast<int32_t>(std::size(kNames))) return kNames[type];
  if (type == 1000141000) return "bfloat16";  // VK_COMPONENT_TYPE_BFLOAT16_KHR
  return "type " + std::to_string(type);
}

std::vector<CooperativeMatrixShape> cooperative_matrix_shapes(VkInstance instance,
                                                              VkPhysicalDevice device) {
  if (!has_device_extension(device, kCooperativeMatrixExtension)) return {};
  auto get = reinterpret_cast<GetCooperativeMatrixProperties>(
      vkGetInstanceProcAddr(instance, "vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR"));
  uint32_t count = 0;
  if (get == nullptr || get(device, &count, nullptr) != VK_SUCCESS) return {};
  std::vector<CooperativeMatrixProperties> properties(count);
  if (get(device, &count, properties.data()) != VK_SUCCESS) return {};
  properties.resize(count);
  std::vector<CooperativeMatrixShape> shapes;
  for (const CooperativeMatrixProperties& p : properties) {
    shapes.push_back({p.MSize, p.NSize, p.KSize, component_type_name(p.AType),
                      component_type_name(p.BType), component_type_name(p.CType),
                      component_type_name(p.ResultType)});
  }
  return shapes;
}

std::string subgroup_operations_string(VkSubgroupFeatureFlags operations) {
  static const std::pair<VkSubgroupFeatureFlagBits, const char*> kNames[] = {
      {VK_SUBGROUP_FEATURE_BASIC_BIT, "basic"},
      {VK_SUBGROUP_FEATURE_VOTE_BIT, "vote"},
      {VK_SUBGROUP_FEATURE_ARITHMETIC_BIT, "arithmetic"},
      {VK_SUBGROUP_FEATURE_BALLOT_BIT, "ballot"},
      {VK_SUBGROUP_FEATURE_SHUFFLE_BIT, "shuffle"},
      {VK_SUBGROUP_FEATURE_SHUFFLE_RELATIVE_BIT, "shuffle relative"},
      {VK_SUBGROUP_FEATURE_CLUSTERED_BIT, "clustered"},
      {VK_SUBGROUP_FEATURE_QUAD_BIT, "quad"},
  };
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if (!(operations & bit)) continue;
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out.empty() ? "none" : out;
}

std::string cooperative_matrix_string(const std::vector<CooperativeMatrixShape>& shapes) {
  std::string out;
  for (const CooperativeMatrixShape& s : shapes) {
    if (!out.empty()) out += ", ";
    out += std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k) + " " + s.a +
           "*" + s.b + "+" + s.c + "->" + s.result;
  }
  return out.empty() ? "none" : out;
}

// A feature switched off by an EMBER_VULKAN_NO_* variable says so, lest it look missing.
std::string overridden(std::string value, const char* variable) {
  if (env_is_one(variable)) value += std::string(" (off: ") + variable + "=1)";
  return value;
}

std::vector<std::pair<std::string, std::string>> feature_details(const DeviceFeatures& f) {
  const auto& size = f.max_workgroup_size;
  return {
      {"subgroup size", std::to_string(f.subgroup_size)},
      {"subgroup operations",
       overridden(subgroup_operations_string(f.subgroup_operations), kNoSubgroups)},
      {"16-bit storage", overridden(yes_no(f.storage_16bit), kNo16BitStorage)},
      {"float16 arithmetic", yes_no(f.float16_arithmetic)},
      {"int16", yes_no(f.int16)},
      {"int64", yes_no(f.int64)},
      {"shared memory", std::to_string(f.shared_memory_bytes / 1024) + " KiB"},
      {"workgroup limits", std::to_string(f.max_workgroup_invocations) + " invocations, " +
                               std::to_string(size[0]) + " x " + std::to_string(size[1]) + " x " +
                               std::to_string(size[2])},
      {"cooperative matrix", cooperative_matrix_string(f.cooperative_matrix_shapes)},
  };
}

Adapter describe(VkInstance instance, VkPhysicalDevice device, bool allow_cpu) {
  VkPhysicalDeviceDriverProperties driver{};
  driver.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES;
  VkPhysicalDeviceProperties2 properties{};
  properties.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
  properties.pNext = &driver;
  vkGetPhysicalDeviceProperties2(device, &properties);
  VkPhysicalDeviceMemoryProperties memory;
  vkGetPhysicalDeviceMemoryProperties(device, &memory);

  const VkPhysicalDeviceProperties& p = properties.properties;
  Adapter adapter;
  adapter.handle = device;
  adapter.name = p.deviceName;
  adapter.kind = kind_of(p.deviceType);
  adapter.usable = adapter.kind == "integrated" || adapter.kind == "discrete" ||
                   adapter.kind == "virtual" || (adapter.kind == "cpu" && allow_cpu);
  adapter.details = {
      {"driver", std::string(driver.driverName) + " " + driver.driverInfo},
      {"vulkan", version_string(p.apiVersion)},
      {"memory heaps", heaps_string(memory)},
      {"unified memory", yes_no(unified_memory(memory))},
      {"max storage buffer", bytes_string(p.limits.maxStorageBufferRange)},
  };
  for (auto& detail : feature_details(query_features(instance, device))) {
    adapter.details.push_back(std::move(detail));
  }
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
  for (VkPhysicalDevice device : devices) {
    adapters.push_back(describe(instance_, device, allow_cpu));
  }
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

DeviceFeatures query_features(VkInstance instance, VkPhysicalDevice device) {
  VkPhysicalDeviceSubgroupProperties subgroup{};
  subgroup.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES;
  VkPhysicalDeviceProperties2 properties{};
  properties.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
  properties.pNext = &subgroup;
  vkGetPhysicalDeviceProperties2(device, &properties);
  VkPhysicalDevice16BitStorageFeatures storage{};
  storage.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES;
  VkPhysicalDeviceShaderFloat16Int8Features float16{};
  float16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES;
  float16.pNext = &storage;
  VkPhysicalDeviceFeatures2 features{};
  features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
  features.pNext = &float16;
  vkGetPhysicalDeviceFeatures2(device, &features);

  const VkPhysicalDeviceLimits& limits = properties.properties.limits;
  uint32_t api = properties.properties.apiVersion;
  // Below Vulkan 1.2, shaderFloat16 comes with an extension that must then be enabled.
  bool float16_available = api >= VK_API_VERSION_1_2 ||
                           has_device_extension(device, VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME);
  DeviceFeatures f;
  f.subgroup_size = std::max(subgroup.subgroupSize, 1u);
  if ((subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) && !env_is_one(kNoSubgroups)) {
    f.subgroup_operations = subgroup.supportedOperations;
  }
  bool no_16bit = env_is_one(kNo16BitStorage);
  // VkPhysicalDevice16BitStorageFeatures is core from Vulkan 1.1.
  bool storage_available = api >= VK_API_VERSION_1_1 && !no_16bit;
  f.storage_16bit = storage.storageBuffer16BitAccess == VK_TRUE && storage_available;
  f.uniform_storage_16bit =
      storage.uniformAndStorageBuffer16BitAccess == VK_TRUE && storage_available;
  f.float16_arithmetic = float16.shaderFloat16 == VK_TRUE && float16_available;
  f.int16 = features.features.shaderInt16 == VK_TRUE;
  f.int64 = features.features.shaderInt64 == VK_TRUE;
  f.buffer_array_indexing = features.features.shaderStorageBufferArrayDynamicIndexing == VK_TRUE;
  f.shared_memory_bytes = limits.maxComputeSharedMemorySize;
  f.max_workgroup_invocations = limits.maxComputeWorkGroupInvocations;
  std::copy(std::begin(limits.maxComputeWorkGroupSize), std::end(limits.maxComputeWorkGroupSize),
            f.max_workgroup_size.begin());
  f.max_storage_buffers_per_stage = limits.maxPerStageDescriptorStorageBuffers;
  f.cooperative_matrix_shapes = cooperative_matrix_shapes(instance, device);
  return f;
}

std::string missing_requirement(const DeviceFeatures& features) {
  if (!features.int64) return "it lacks shaderInt64";
  std::ostringstream missing;
  // Vulkan guarantees 128 invocations and 4 storage buffers.
  uint32_t workgroup = std::min(features.max_workgroup_invocations, features.max_workgroup_size[0]);
  if (workgroup < kMaxWorkgroupInvocations) {
    missing << "workgroups of " << kMaxWorkgroupInvocations << " invocations are needed, it allows "
            << workgroup;
  } else if (features.max_storage_buffers_per_stage < kMaxBindings) {
    missing << kMaxBindings << " storage buffers per shader are needed, it allows "
            << features.max_storage_buffers_per_stage;
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
  features_ = query_features(instance.handle(), physical_);
  std::string missing = missing_requirement(features_);
  EMBER_CHECK(missing.empty(), "vulkan", name_, " cannot run Ember's kernels: ", missing);
  VkPhysicalDeviceFeatures features{};
  features.shaderInt64 = VK_TRUE;
  features.shaderInt16 = features_.int16 ? VK_TRUE : VK_FALSE;
  features.shaderStorageBufferArrayDynamicIndexing = features_.buffer_array_indexing;
  VkPhysicalDevice16BitStorageFeatures storage{};
  storage.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES;
  storage.storageBuffer16BitAccess = features_.storage_16bit ? VK_TRUE : VK_FALSE;
  storage.uniformAndStorageBuffer16BitAccess = features_.uniform_storage_16bit ? VK_TRUE : VK_FALSE;
  VkPhysicalDeviceShaderFloat16Int8Features float16{};
  float16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES;
  float16.shaderFloat16 = VK_TRUE;
  // A feature struct goes in the chain only where the device knows it.
  void* enabled = nullptr;
  if (features_.storage_16bit || features_.uniform_storage_16bit) enabled = &storage;
  if (features_.float16_arithmetic) {
    float16.pNext = enabled;
    enabled = &float16;
    if (properties.apiVersion < VK_API_VERSION_1_2) {
      extensions.push_back(VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME);
    }
  }
  VkDeviceCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO;
  info.pNext = enabled;
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
