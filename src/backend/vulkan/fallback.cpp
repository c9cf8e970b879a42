// The CPU fallback of DESIGN §3: a primitive the Vulkan backend has no kernel for runs on
// the CPU over host copies of its tensors' storages, and the outputs are copied back.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "backend/vulkan/vulkan_backend.h"
#include "core/check.h"

namespace ember {
Backend& cpu_backend();
}

namespace ember::vulkan {

namespace {

enum class FallbackPolicy { Warn, Error, Silent };

FallbackPolicy fallback_policy() {
  static const FallbackPolicy policy = [] {
    const char* text = std::getenv("EMBER_FALLBACK");
    std::string value = text != nullptr ? text : "warn";
    if (value == "warn" || value.empty()) return FallbackPolicy::Warn;
    if (value == "error") return FallbackPolicy::Error;
    if (value == "silent") return FallbackPolicy::Silent;
    detail::fail("vulkan", "EMBER_FALLBACK must be warn, error or silent, got '", value, "'");
  }();
  return policy;
}

}  // namespace

void VulkanBackend::fallback(
    const char* op, const std::vector<Tensor>& tensors, size_t outputs,
    const std::function<void(Backend& cpu, const std::vector<Tensor>& host)>& run) {
  FallbackPolicy policy = fallback_policy();
  EMBER_CHECK(policy != FallbackPolicy::Error, op, "has no Vulkan kernel for these inputs (",
              tensors.front().dtype(), ") and EMBER_FALLBACK=error forbids running it on the CPU");
  bool first;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    first = fallen_back_.insert(op).second;
  }
  if (first && policy == FallbackPolicy::Warn) {
    std::fprintf(stderr,
                 "[%s] has no Vulkan kernel for these inputs; running it on the CPU "
                 "(set EMBER_FALLBACK=silent to hide this, or error to forbid it)\n",
                 op);
  }
  Backend& cpu = cpu_backend();
  std::map<const Storage*, std::shared_ptr<Storage>> mirrors;
  std::vector<Tensor> host;
  for (const Tensor& t : tensors) {
    if (!t.defined()) {
      host.emplace_back();
      continue;
    }
    const std::shared_ptr<Storage>& storage = t.impl()->storage();
    auto& mirror = mirrors[storage.get()];
    if (mirror == nullptr) {
      mirror = cpu.allocate(storage->nbytes());
      read(*storage, 0, mirror->data(), storage->nbytes());
    }
    host.emplace_back(std::make_shared<TensorImpl>(mirror, t.dtype(), t.shape(), t.strides(),
                                                   t.storage_offset()));
  }
  run(cpu, host);
  for (size_t i = 0; i < outputs; ++i) {
    const Storage& storage = *tensors[i].impl()->storage();
    write(storage, 0, mirrors[&storage]->data(), storage.nbytes());
  }
}

std::set<std::string> VulkanBackend::fallen_back() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fallen_back_;
}

}  // namespace ember::vulkan
