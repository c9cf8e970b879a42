// Compute pipelines, created on first use from the SPIR-V embedded at build time and
// cached by shader, specialization constants and binding counts.
#pragma once

#include <vulkan/vulkan.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend/vulkan/context.h"
#include "backend/vulkan/shader_id.h"
#include "ember/dtype.h"

namespace ember::vulkan {

// Every shader declares at most this many storage-buffer bindings (an array counts as one),
// this many buffers in all, and 128 bytes of push constants.
inline constexpr uint32_t kMaxBindings = 8;
inline constexpr uint32_t kMaxDescriptors = 80;
inline constexpr uint32_t kPushConstantBytes = 128;

struct Pipeline {
  VkPipeline pipeline = VK_NULL_HANDLE;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
  uint32_t bindings = 0;
  std::array<uint32_t, kMaxBindings> counts{};  // buffers per binding (arrays have more)
  uint32_t descriptors = 0;                     // buffers in all
};

// The variant of a shader for tensors that all have `dtype`: their own storage for float32,
// and for float16 and bfloat16 where the device stores 16-bit values; otherwise (integers,
// bool, a device without 16-bit storage) the 32-bit-word variant.
ShaderId pick(const Variants& variants, DType dtype, const DeviceFeatures& features);

// The build of a workgroup reduction the device can run: subgroup arithmetic where it has
// it, else the shared-memory tree.
template <typename Shader>
const Shader& pick(const Reductions<Shader>& builds, const DeviceFeatures& features) {
  return features.subgroup_arithmetic() ? builds.subgroup : builds.tree;
}

class Pipelines {
 public:
  explicit Pipelines(const Context& context) : context_(context) {}
  ~Pipelines();
  Pipelines(const Pipelines&) = delete;
  Pipelines& operator=(const Pipelines&) = delete;

  // Specialization constant i gets constants[i] (constant_id 0 is the workgroup size by
  // convention). Binding i of the shader is an array of counts[i] storage buffers (1: a
  // plain buffer).
  const Pipeline& get(ShaderId shader, std::span<const uint32_t> constants,
                      std::span<const uint32_t> counts);

 private:
  struct Layout {
    VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
    VkPipelineLayout layout = VK_NULL_HANDLE;
  };
  Pipeline create(const ShaderCode& code, std::span<const uint32_t> constants,
                  std::span<const uint32_t> counts);
  const Layout& layout_for(std::span<const uint32_t> counts);

  static constexpr uint32_t kMaxConstants = 8;
  struct Key {
    uint32_t shader;
    std::array<uint32_t, kMaxConstants> constants;
    uint32_t count;
    std::array<uint32_t, kMaxBindings> binding_counts;
    uint32_t bindings;
    bool operator==(const Key& other) const;
  };
  struct KeyHash {
    size_t operator()(const Key& key) const;
  };

  const Context& context_;
  std::unordered_map<Key, std::unique_ptr<Pipeline>, KeyHash> cache_;
  std::map<std::vector<uint32_t>, Layout> layouts_;
};

}  // namespace ember::vulkan
