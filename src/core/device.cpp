#include "ember/device.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "backend/vulkan/context.h"
#include "backend/vulkan/vulkan_backend.h"
#include "core/backend.h"
#include "core/check.h"
#include "ember/ops.h"

namespace ember {

Backend& cpu_backend();

Device::Device(const std::string& spec) : type_(DeviceType::CPU), index_(0) {
  std::string kind = spec.substr(0, spec.find(':'));
  if (kind == "cpu") {
    type_ = DeviceType::CPU;
  } else if (kind == "vulkan") {
    type_ = DeviceType::Vulkan;
  } else {
    detail::fail("device", "unknown device '", spec, "'; expected cpu, vulkan or vulkan:N");
  }
  if (kind.size() == spec.size()) return;
  std::string number = spec.substr(kind.size() + 1);
  bool digits = !number.empty() && number.find_first_not_of("0123456789") == std::string::npos;
  EMBER_CHECK(digits && number.size() < 6, "device", "bad device index in '", spec, "'");
  index_ = std::stoi(number);
  EMBER_CHECK(type_ != DeviceType::CPU || index_ == 0, "device",
              "there is only one cpu device, got '", spec, "'");
}

std::string Device::str() const {
  return is_cpu() ? std::string("cpu") : "vulkan:" + std::to_string(index_);
}

Device default_device() {
  static const Device chosen = [] {
    const char* requested = std::getenv("EMBER_DEVICE");
    if (requested != nullptr && *requested != '\0' && std::string(requested) != "auto") {
      Device device(requested);
      backend_for(device);  // fail now, not at the first op
      return device;
    }
    // The first real GPU; a CPU implementation of Vulkan (lavapipe) only when asked for.
    for (const DeviceInfo& info : vulkan::device_infos()) {
      if (info.kind == "cpu") continue;
      try {
        backend_for(info.device);
        return info.device;
      } catch (const Error& e) {
        std::fprintf(stderr, "[device] cannot use %s (%s): %s; using the cpu\n",
                     info.device.str().c_str(), info.name.c_str(), e.what());
      }
      break;
    }
    return kCPU;
  }();
  return chosen;
}

namespace {

std::string cpu_model_name() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
      return line.substr(line.find(':') + 2);
    }
  }
  return "CPU";
}

}  // namespace

std::vector<DeviceInfo> available_devices() {
  DeviceInfo cpu{kCPU, cpu_model_name(), "cpu", {}};
  cpu.details.emplace_back("threads", std::to_string(get_num_threads()));
  cpu.details.emplace_back("dtypes", "float32 float64 float16 bfloat16 int32 int64 uint8 bool");
  std::vector<DeviceInfo> devices{cpu};
  for (DeviceInfo& gpu : vulkan::device_infos()) devices.push_back(std::move(gpu));
  return devices;
}

void synchronize(const Device& device) { backend_for(device).synchronize(); }

MemoryStats memory_stats(const Device& device) { return backend_for(device).memory_stats(); }

void reset_peak_memory(const Device& device) { backend_for(device).reset_peak_memory(); }

void empty_cache(const Device& device) { backend_for(device).empty_cache(); }

Backend& backend_for(const Device& device) {
  if (device.is_cpu()) return cpu_backend();
  return vulkan::backend(device.index());
}

}  // namespace ember
