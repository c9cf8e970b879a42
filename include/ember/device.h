// Where a tensor lives: the CPU or a Vulkan device.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ember {

enum class DeviceType : uint8_t { CPU, Vulkan };

class Device {
 public:
  Device(DeviceType type = DeviceType::CPU, int index = 0) : type_(type), index_(index) {}
  // "cpu", "vulkan", "vulkan:1". Raises ember::Error on anything else.
  Device(const std::string& spec);  // NOLINT: Device("vulkan:0") reads like PyTorch
  Device(const char* spec) : Device(std::string(spec)) {}  // NOLINT

  DeviceType type() const { return type_; }
  int index() const { return index_; }
  bool is_cpu() const { return type_ == DeviceType::CPU; }
  bool is_vulkan() const { return type_ == DeviceType::Vulkan; }
  std::string str() const;  // "cpu", "vulkan:0"

  bool operator==(const Device& other) const = default;

 private:
  DeviceType type_;
  int index_;
};

inline const Device kCPU{DeviceType::CPU, 0};

// The first Vulkan device that is a real GPU, else the CPU. EMBER_DEVICE overrides.
Device default_device();
// What `ember devices` shows about one device.
struct DeviceInfo {
  Device device;
  std::string name;                                          // "AMD EPYC 7B13", "Apple M2"
  std::string kind;                                          // "cpu", "integrated", "discrete"
  std::vector<std::pair<std::string, std::string>> details;  // property, value
};
// Every device Ember can run on here, the CPU first.
std::vector<DeviceInfo> available_devices();

// Waits until all work queued on the device has finished.
void synchronize(const Device& device = default_device());

// Memory held by a device's caching allocator, in bytes. Both the CPU and Vulkan count
// whole blocks (the CPU rounds each tensor up to 64 bytes); the CPU caches freed blocks
// of 256 KiB and more, up to 1 GiB.
struct MemoryStats {
  size_t allocated = 0;  // in use by tensors
  size_t reserved = 0;   // taken from the driver or the system: allocated plus cached
  size_t peak = 0;       // the most allocated at once since start or reset_peak_memory()
};
MemoryStats memory_stats(const Device& device = default_device());
void reset_peak_memory(const Device& device = default_device());
// Gives the driver (or the system) back the cached memory that no tensor uses.
void empty_cache(const Device& device = default_device());

}  // namespace ember
