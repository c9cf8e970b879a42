#include "backend/vulkan/pipelines.h"

#include <algorithm>
#include <vector>

#include "core/check.h"

namespace ember::vulkan {

size_t Pipelines::KeyHash::operator()(const Key& key) const {
  size_t hash = key.shader;
  for (uint32_t i = 0; i < key.count; ++i) hash = hash * 1000003u ^ key.constants[i];
  for (uint32_t i = 0; i < key.bindings; ++i) hash = hash * 1000003u ^ key.binding_counts[i];
  return hash;
}

bool Pipelines::Key::operator==(const Key& other) const {
  return shader == other.shader && count == other.count && bindings == other.bindings &&
         std::equal(constants.begin(), constants.begin() + count, other.constants.begin()) &&
         std::equal(binding_counts.begin(), binding_counts.begin() + bindings,
                    other.binding_counts.begin());
}

ShaderId pick(const Variants& variants, DType dtype, const DeviceFeatures& features) {
  switch (dtype) {
    case kFloat32:
      return variants.f32;
    case kFloat16:
      return features.storage_16bit ? variants.f16 : variants.word;
    case kBFloat16:
      return features.storage_16bit ? variants.bf16 : variants.word;
    default:
      return variants.word;
  }
}

Pipelines::~Pipelines() {
  VkDevice device = context_.device();
  for (auto& entry : cache_) vkDestroyPipeline(device, entry.second->pipeline, nullptr);
  for (auto& entry : layouts_) {
    vkDestroyPipelineLayout(device, entry.second.layout, nullptr);
    vkDestroyDescriptorSetLayout(device, entry.second.set_layout, nullptr);
  }
}

const Pipeline& Pipelines::get(ShaderId shader, std::span<const uint32_t> constants,
                               std::span<const uint32_t> counts) {
  EMBER_CHECK(constants.size() <= kMaxConstants, "vulkan", "a kernel takes at most ", kMaxConstants,
              " specialization constants, ", shader.name, " got ", constants.size());
  EMBER_CHECK(!counts.empty() && counts.size() <= kMaxBindings, "vulkan", "a kernel binds 1 to ",
              kMaxBindings, " bindings, ", shader.name, " got ", counts.size());
  Key key{shader.index,
          {},
          static_cast<uint32_t>(constants.size()),
          {},
          static_cast<uint32_t>(counts.size())};
  std::copy(constants.begin(), constants.end(), key.constants.begin());
  std::copy(counts.begin(), counts.end(), key.binding_counts.begin());
  auto found = cache_.find(key);
  if (found != cache_.end()) return *found->second;
  auto pipeline = std::make_unique<Pipeline>(create(shader_code(shader), constants, counts));
  return *cache_.emplace(key, std::move(pipeline)).first->second;
}

const Pipelines::Layout& Pipelines::layout_for(std::span<const uint32_t> counts) {
  std::vector<uint32_t> key(counts.begin(), counts.end());
  auto found = layouts_.find(key);
  if (found != layouts_.end()) return found->second;
  uint32_t total = 0;
  std::vector<VkDescriptorSetLayoutBinding> entries;
  for (uint32_t i = 0; i < counts.size(); ++i) {
    entries.push_back(
        {i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, counts[i], VK_SHADER_STAGE_COMPUTE_BIT, nullptr});
    total += counts[i];
  }
  EMBER_CHECK(!counts.empty() && counts.size() <= kMaxBindings && total <= kMaxDescriptors,
              "vulkan", "a kernel binds 1 to ", kMaxBindings, " bindings of at most ",
              kMaxDescriptors, " buffers in all");
  Layout made;
  VkDescriptorSetLayoutCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO;
  if (context_.push_descriptor_set() != nullptr) {
    info.flags = VK_DESCRIPTOR_SET_LAYOUT_CREATE_PUSH_DESCRIPTOR_BIT_KHR;
  }
  info.bindingCount = static_cast<uint32_t>(entries.size());
  info.pBindings = entries.data();
  check(vkCreateDescriptorSetLayout(context_.device(), &info, nullptr, &made.set_layout),
        "vkCreateDescriptorSetLayout");
  VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, kPushConstantBytes};
  VkPipelineLayoutCreateInfo layout{};
  layout.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO;
  layout.setLayoutCount = 1;
  layout.pSetLayouts = &made.set_layout;
  layout.pushConstantRangeCount = 1;
  layout.pPushConstantRanges = &push;
  check(vkCreatePipelineLayout(context_.device(), &layout, nullptr, &made.layout),
        "vkCreatePipelineLayout");
  return layouts_.emplace(std::move(key), made).first->second;
}

Pipeline Pipelines::create(const ShaderCode& code, std::span<const uint32_t> constants,
                           std::span<const uint32_t> counts) {
  const Layout& layout = layout_for(counts);
  Pipeline p;
  p.bindings = static_cast<uint32_t>(counts.size());
  std::copy(counts.begin(), counts.end(), p.counts.begin());
  for (uint32_t c : counts) p.descriptors += c;
  p.set_layout = layout.set_layout;
  p.layout = layout.layout;

  VkShaderModuleCreateInfo module_info{};
  module_info.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO;
  module_info.codeSize = code.size;
  module_info.pCode = reinterpret_cast<const uint32_t*>(code.spirv);
  VkShaderModule module = VK_NULL_HANDLE;
  check(vkCreateShaderModule(context_.device(), &module_info, nullptr, &module),
        "vkCreateShaderModule");

  std::vector<VkSpecializationMapEntry> entries;
  for (uint32_t i = 0; i < constants.size(); ++i) {
    entries.push_back({i, i * 4, 4});
  }
  VkSpecializationInfo specialization{static_cast<uint32_t>(entries.size()), entries.data(),
                                      constants.size() * 4, constants.data()};
  VkComputePipelineCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO;
  info.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
  info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  info.stage.module = module;
  info.stage.pName = "main";
  info.stage.pSpecializationInfo = &specialization;
  info.layout = p.layout;
  VkResult result =
      vkCreateComputePipelines(context_.device(), VK_NULL_HANDLE, 1, &info, nullptr, &p.pipeline);
  vkDestroyShaderModule(context_.device(), module, nullptr);
  check(result, "vkCreateComputePipelines");
  return p;
}

}  // namespace ember::vulkan
