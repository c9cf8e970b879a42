#include "backend/vulkan/pipelines.h"

#include <algorithm>
#include <vector>

#include "core/check.h"

namespace ember::vulkan {

size_t Pipelines::KeyHash::operator()(const Key& key) const {
  size_t hash = std::hash<std::string_view>()(key.shader);
  for (uint32_t i = 0; i < key.count; ++i) hash = hash * 1000003u ^ key.constants[i];
  return hash;
}

bool Pipelines::Key::operator==(const Key& other) const {
  return shader == other.shader && count == other.count &&
         std::equal(constants.begin(), constants.begin() + count, other.constants.begin());
}

Pipelines::~Pipelines() {
  VkDevice device = context_.device();
  for (auto& entry : cache_) vkDestroyPipeline(device, entry.second->pipeline, nullptr);
  for (uint32_t i = 0; i <= kMaxBindings; ++i) {
    if (layouts_[i] != VK_NULL_HANDLE) vkDestroyPipelineLayout(device, layouts_[i], nullptr);
    if (set_layouts_[i] != VK_NULL_HANDLE) {
      vkDestroyDescriptorSetLayout(device, set_layouts_[i], nullptr);
    }
  }
}

const Pipeline& Pipelines::get(std::string_view shader, std::span<const uint32_t> constants,
                               uint32_t bindings) {
  EMBER_CHECK(constants.size() <= kMaxConstants, "vulkan", "a kernel takes at most ", kMaxConstants,
              " specialization constants");
  Key key{shader, {}, static_cast<uint32_t>(constants.size())};
  std::copy(constants.begin(), constants.end(), key.constants.begin());
  auto found = cache_.find(key);
  if (found != cache_.end()) return *found->second;
  const ShaderCode& code = shader_code(shader);
  key.shader = code.name;  // the cache keeps the embedded name, not the caller's view
  auto pipeline = std::make_unique<Pipeline>(create(code, constants, bindings));
  return *cache_.emplace(key, std::move(pipeline)).first->second;
}

VkDescriptorSetLayout Pipelines::set_layout(uint32_t bindings) {
  EMBER_CHECK(bindings >= 1 && bindings <= kMaxBindings, "vulkan", "a kernel binds 1 to ",
              kMaxBindings, " buffers, not ", bindings);
  if (set_layouts_[bindings] != VK_NULL_HANDLE) return set_layouts_[bindings];
  std::vector<VkDescriptorSetLayoutBinding> entries(bindings);
  for (uint32_t i = 0; i < bindings; ++i) {
    entries[i] = {i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  }
  VkDescriptorSetLayoutCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO;
  if (context_.push_descriptor_set() != nullptr) {
    info.flags = VK_DESCRIPTOR_SET_LAYOUT_CREATE_PUSH_DESCRIPTOR_BIT_KHR;
  }
  info.bindingCount = bindings;
  info.pBindings = entries.data();
  check(vkCreateDescriptorSetLayout(context_.device(), &info, nullptr, &set_layouts_[bindings]),
        "vkCreateDescriptorSetLayout");
  VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, kPushConstantBytes};
  VkPipelineLayoutCreateInfo layout{};
  layout.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO;
  layout.setLayoutCount = 1;
  layout.pSetLayouts = &set_layouts_[bindings];
  layout.pushConstantRangeCount = 1;
  layout.pPushConstantRanges = &push;
  check(vkCreatePipelineLayout(context_.device(), &layout, nullptr, &layouts_[bindings]),
        "vkCreatePipelineLayout");
  return set_layouts_[bindings];
}

Pipeline Pipelines::create(const ShaderCode& code, std::span<const uint32_t> constants,
                           uint32_t bindings) {
  Pipeline p;
  p.bindings = bindings;
  p.set_layout = set_layout(bindings);
  p.layout = layouts_[bindings];

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
