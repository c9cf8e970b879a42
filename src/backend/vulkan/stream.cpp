#include "backend/vulkan/stream.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "backend/vulkan/pipelines.h"
#include "core/check.h"

namespace ember::vulkan {

namespace {

constexpr uint32_t kDefaultOpsPerSubmit = 128;
constexpr uint32_t kMaxInFlight = 3;
constexpr VkPipelineStageFlags kWorkStages =
    VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
constexpr VkAccessFlags kWorkAccess = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                                      VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;

uint32_t ops_per_submit() {
  const char* text = std::getenv("EMBER_MAX_OPS_PER_SUBMIT");
  if (text == nullptr || *text == '\0') return kDefaultOpsPerSubmit;
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  EMBER_CHECK(*end == '\0' && value > 0 && value <= 65536, "vulkan",
              "EMBER_MAX_OPS_PER_SUBMIT must be a count from 1 to 65536, got '", text, "'");
  return static_cast<uint32_t>(value);
}

}  // namespace

Stream::Stream(const Context& context) : context_(context), max_ops_per_submit_(ops_per_submit()) {
  VkCommandPoolCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
  info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  info.queueFamilyIndex = context.queue_family();
  check(vkCreateCommandPool(context.device(), &info, nullptr, &pool_), "vkCreateCommandPool");
  open_ = fresh_submission();
  begin();
}

Stream::~Stream() {
  VkDevice device = context_.device();
  vkDeviceWaitIdle(device);
  auto destroy = [device](Submission& s) {
    vkDestroyDescriptorPool(device, s.descriptors, nullptr);
    vkDestroyFence(device, s.fence, nullptr);
  };
  destroy(open_);
  for (auto& s : in_flight_) destroy(s);
  for (auto& s : spare_) destroy(s);
  vkDestroyCommandPool(device, pool_, nullptr);
}

Stream::Submission Stream::fresh_submission() {
  if (!spare_.empty()) {
    Submission reused = spare_.back();
    spare_.pop_back();
    return reused;
  }
  Submission s;
  VkCommandBufferAllocateInfo buffers{};
  buffers.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
  buffers.commandPool = pool_;
  buffers.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  buffers.commandBufferCount = 1;
  check(vkAllocateCommandBuffers(context_.device(), &buffers, &s.commands),
        "vkAllocateCommandBuffers");
  VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, max_ops_per_submit_ * kMaxBindings};
  VkDescriptorPoolCreateInfo pool{};
  pool.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO;
  pool.maxSets = max_ops_per_submit_;
  pool.poolSizeCount = 1;
  pool.pPoolSizes = &size;
  check(vkCreateDescriptorPool(context_.device(), &pool, nullptr, &s.descriptors),
        "vkCreateDescriptorPool");
  VkFenceCreateInfo fence{};
  fence.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO;
  check(vkCreateFence(context_.device(), &fence, nullptr, &s.fence), "vkCreateFence");
  return s;
}

// Submits the open command buffer once it holds the most ops a submission may.
void Stream::make_room() {
  if (ops_in_open_ >= max_ops_per_submit_) flush();
}

void Stream::begin() {
  VkCommandBufferBeginInfo info{};
  info.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
  info.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  check(vkBeginCommandBuffer(open_.commands, &info), "vkBeginCommandBuffer");
  open_.serial = open_serial_;
  bound_pipeline_ = VK_NULL_HANDLE;
  ops_in_open_ = 0;
  // Work of earlier submissions on this queue is ordered before this buffer's only by a
  // barrier; one at the start covers every buffer they touched.
  barrier(kWorkStages, kWorkAccess);
}

void Stream::barrier(VkPipelineStageFlags dst_stage, VkAccessFlags dst_access) {
  VkMemoryBarrier memory{};
  memory.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
  memory.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  memory.dstAccessMask = dst_access;
  vkCmdPipelineBarrier(open_.commands, kWorkStages, dst_stage, 0, 1, &memory, 0, nullptr, 0,
                       nullptr);
  ++epoch_;
}

void Stream::record_uses(std::span<const BufferUse> uses, const CheckContext* checked) {
  bool hazard = false;
  for (const BufferUse& use : uses) {
    const Allocation& a = *use.allocation;
    hazard = hazard || a.written_epoch == epoch_ || (use.write && a.read_epoch == epoch_);
  }
  if (hazard) barrier(kWorkStages, kWorkAccess);
  for (const BufferUse& use : uses) {
    (use.write ? use.allocation->written_epoch : use.allocation->read_epoch) = epoch_;
    use.allocation->last_use = open_serial_;
  }
  checks_->note_uses(uses, open_serial_, checked);
}

VkDescriptorSet Stream::descriptor_set(const Pipeline& pipeline) {
  VkDescriptorSetAllocateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO;
  info.descriptorPool = open_.descriptors;
  info.descriptorSetCount = 1;
  info.pSetLayouts = &pipeline.set_layout;
  VkDescriptorSet set = VK_NULL_HANDLE;
  VkResult result = vkAllocateDescriptorSets(context_.device(), &info, &set);
  if (result == VK_ERROR_OUT_OF_POOL_MEMORY || result == VK_ERROR_FRAGMENTED_POOL) {
    flush();  // the next submission has a fresh pool
    info.descriptorPool = open_.descriptors;
    result = vkAllocateDescriptorSets(context_.device(), &info, &set);
  }
  check(result, "vkAllocateDescriptorSets");
  return set;
}

void Stream::dispatch(const Pipeline& pipeline, std::span<const BufferUse> buffers,
                      const void* push, uint32_t push_bytes, Groups groups,
                      CheckedLaunch* checked) {
  EMBER_CHECK(buffers.size() == pipeline.descriptors, "vulkan", "a kernel takes ",
              pipeline.descriptors, " buffers, got ", buffers.size());
  std::array<std::byte, kPushConstantBytes> with_slot;
  if (checked != nullptr) {
    if (checks_->full()) wait_for(checks_->oldest_unread());
    uint32_t slot = checks_->next_slot();
    std::memcpy(with_slot.data(), push, push_bytes);
    std::memcpy(with_slot.data() + checked->slot_offset, &slot, sizeof slot);
    push = with_slot.data();
  }
  make_room();
  PFN_vkCmdPushDescriptorSetKHR push_set = context_.push_descriptor_set();
  // The set comes first: a full pool flushes, and the uses belong to the buffer after it.
  VkDescriptorSet set = push_set != nullptr ? VK_NULL_HANDLE : descriptor_set(pipeline);
  record_uses(buffers, checked != nullptr ? &checked->context : nullptr);
  VkDescriptorBufferInfo infos[kMaxDescriptors];
  VkWriteDescriptorSet writes[kMaxBindings];
  for (uint32_t i = 0; i < buffers.size(); ++i) {
    const Allocation& a = *buffers[i].allocation;
    // Sizes are rounded up past the request; the bound range must stay within the limit.
    infos[i] = {a.buffer, a.offset,
                std::min<VkDeviceSize>(a.size, context_.limits().maxStorageBufferRange)};
  }
  for (uint32_t b = 0, first = 0; b < pipeline.bindings; first += pipeline.counts[b], ++b) {
    writes[b] = {};
    writes[b].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
    writes[b].dstSet = set;
    writes[b].dstBinding = b;
    writes[b].descriptorCount = pipeline.counts[b];
    writes[b].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[b].pBufferInfo = &infos[first];
  }
  VkCommandBuffer cb = open_.commands;
  if (pipeline.pipeline != bound_pipeline_) {
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.pipeline);
    bound_pipeline_ = pipeline.pipeline;
  }
  if (push_set != nullptr) {
    push_set(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.layout, 0, pipeline.bindings, writes);
  } else {
    vkUpdateDescriptorSets(context_.device(), pipeline.bindings, writes, 0, nullptr);
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.layout, 0, 1, &set, 0,
                            nullptr);
  }
  if (push_bytes > 0) {
    vkCmdPushConstants(cb, pipeline.layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes, push);
  }
  vkCmdDispatch(cb, groups.x, groups.y, groups.z);
  ++ops_in_open_;
}

void Stream::copy(Allocation* src, VkDeviceSize src_offset, Allocation* dst,
                  VkDeviceSize dst_offset, VkDeviceSize nbytes) {
  make_room();
  BufferUse uses[] = {{src, false}, {dst, true}};
  record_uses(uses);
  VkBufferCopy region{src->offset + src_offset, dst->offset + dst_offset, nbytes};
  vkCmdCopyBuffer(open_.commands, src->buffer, dst->buffer, 1, &region);
  ++ops_in_open_;
}

void Stream::update(Allocation* dst, const void* data, VkDeviceSize nbytes) {
  make_room();
  BufferUse use{dst, true};
  record_uses({&use, 1});
  vkCmdUpdateBuffer(open_.commands, dst->buffer, dst->offset, nbytes, data);
  ++ops_in_open_;
}

void Stream::fill(Allocation* dst, uint32_t word) {
  make_room();
  BufferUse use{dst, true};
  record_uses({&use, 1});
  vkCmdFillBuffer(open_.commands, dst->buffer, dst->offset, dst->size, word);
  ++ops_in_open_;
}

void Stream::flush() {
  if (ops_in_open_ == 0) return;
  // Results become visible to host reads once the fence has signalled.
  barrier(VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
  check(vkEndCommandBuffer(open_.commands), "vkEndCommandBuffer");
  if (in_flight_.size() >= kMaxInFlight) wait_for(in_flight_.front().serial);
  VkSubmitInfo info{};
  info.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
  info.commandBufferCount = 1;
  info.pCommandBuffers = &open_.commands;
  check(vkQueueSubmit(context_.queue(), 1, &info, open_.fence), "vkQueueSubmit");
  in_flight_.push_back(open_);
  ++open_serial_;
  open_ = fresh_submission();
  begin();
}

void Stream::retire(Submission& submission) {
  check(vkResetFences(context_.device(), 1, &submission.fence), "vkResetFences");
  check(vkResetDescriptorPool(context_.device(), submission.descriptors, 0),
        "vkResetDescriptorPool");
  check(vkResetCommandBuffer(submission.commands, 0), "vkResetCommandBuffer");
  completed_ = std::max(completed_, submission.serial);
  checks_->resolve(submission.serial);
  spare_.push_back(submission);
}

void Stream::wait_for(uint64_t serial) {
  if (serial <= completed_) return;
  if (serial >= open_serial_) flush();
  while (!in_flight_.empty() && in_flight_.front().serial <= serial) {
    Submission& oldest = in_flight_.front();
    check(vkWaitForFences(context_.device(), 1, &oldest.fence, VK_TRUE, UINT64_MAX),
          "vkWaitForFences");
    retire(oldest);
    in_flight_.pop_front();
  }
  // An open command buffer without work has nothing to wait for.
  completed_ = std::max(completed_, std::min(serial, open_serial_ - 1));
}

}  // namespace ember::vulkan
