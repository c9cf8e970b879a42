// Errors that Vulkan kernels find on the device (an index or a target out of range):
// raised once at the first host wait, worded as the CPU words them with the user's op
// and shapes, and raised again by every read of what the failed kernel wrote or of
// anything computed from it, while other tensors read normally.
#include <string>

#include "backend/vulkan/device_checks.h"
#include "backend/vulkan/shader_ids.h"
#include "backend/vulkan/vulkan_backend.h"
#include "vulkan_test_util.h"

namespace ember::test {
namespace {

// The message of the error fn raises, or "" (and a failure) when it raises none.
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected ember::Error";
  return "";
}

// Indices [8, 32] into 1000 rows, all in range but one.
Tensor indices_with(int64_t bad) {
  std::vector<int64_t> values(8 * 32);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<int64_t>(i * 7 % 1000);
  values[77] = bad;
  return from_vector<int64_t>(values).reshape({8, 32});
}

constexpr const char* kEmbeddingError =
    "[embedding] index 70000 is out of range for dimension 0 with size 1000; weight [1000,64], "
    "indices [8,32] (found on vulkan:0)";

TEST(VulkanDeviceErrors, EmbeddingNamesTheUsersOpAndShapesAsTheCpuDoes) {
  REQUIRE_GPU();
  Tensor weight = random_tensor({1000, 64});
  Tensor indices = indices_with(70000);
  std::string cpu = error_of([&] { embedding(weight, indices); });
  Tensor out = embedding(weight.to(kGpu), indices.to(kGpu));  // returns before the kernel runs
  std::string gpu = error_of([&] { out.to(kCPU); });
  EXPECT_EQ(gpu, kEmbeddingError);
  EXPECT_EQ(gpu.rfind(cpu, 0), 0u) << "CPU: " << cpu << "\nVulkan: " << gpu;
}

// nll_loss leaves the class check to the device: the call returns without waiting, and
// the loss raises the CPU's error under the user's op.
TEST(VulkanDeviceErrors, NllLossChecksItsClassesWithoutAHostWait) {
  REQUIRE_GPU();
  Tensor log_probs = log_softmax(random_tensor({3, 4}), 1);
  Tensor target = from_vector(std::vector<int64_t>{0, 4, 1});
  std::string cpu = error_of([&] { nn::functional::nll_loss(log_probs, target); });
  Tensor loss = nn::functional::nll_loss(log_probs.to(kGpu), target.to(kGpu));
  std::string gpu = error_of([&] { loss.item<float>(); });
  EXPECT_EQ(gpu.rfind("[nll_loss] index 4 is out of range for dimension 1 with size 4", 0), 0u)
      << gpu;
  EXPECT_EQ(gpu.rfind(cpu, 0), 0u) << "CPU: " << cpu << "\nVulkan: " << gpu;
}

TEST(VulkanDeviceErrors, RaisedOnceAtTheFirstWaitThenOnlyByWhatTheKernelWrote) {
  REQUIRE_GPU();
  Tensor weight = random_tensor({1000, 64}).to(kGpu);
  Tensor out = embedding(weight, indices_with(70000).to(kGpu));
  Tensor unrelated = full({4}, 2.0f, kFloat32, kGpu) + 1.0f;
  // The first host wait raises it, though it reads another tensor ...
  expect_error([&] { unrelated.to_vector<float>(); }, "embedding", kEmbeddingError);
  // ... once: that tensor, and new work, read normally afterwards.
  EXPECT_EQ(unrelated.to_vector<float>(), std::vector<float>(4, 3.0f));
  EXPECT_EQ((weight.sum(1) * 0.0f).to_vector<float>(), std::vector<float>(1000, 0.0f));
  synchronize(kGpu);
  // The faulty output raises the same error, not zeros: to(cpu), item(), a view.
  expect_error([&] { out.to(kCPU); }, "embedding", kEmbeddingError);
  expect_error([&] { out.to_vector<float>(); }, "embedding", kEmbeddingError);
  expect_error([&] { out.select(0, 3).to(kCPU); }, "embedding", kEmbeddingError);
  expect_error([&] { out.flatten().select(0, 0).item<float>(); }, "embedding", kEmbeddingError);
}

TEST(VulkanDeviceErrors, WhatIsComputedFromTheFaultyTensorRaisesTheSameError) {
  REQUIRE_GPU();
  Tensor x = random_tensor({4, 3}).to(kGpu);
  Tensor bad = index_select(x, 0, from_vector<int64_t>({1, 9}).to(kGpu));
  // Recorded before the error is found: a chain of ops, and a copy.
  Tensor derived = (bad * 2.0f).sum();
  Tensor copied = bad.clone();
  Tensor clean = x * 2.0f;
  const char* expected =
      "[index_select] index 9 is out of range for dimension 0 with size 4; input [4,3], index [2] "
      "(found on vulkan:0)";
  expect_error([] { synchronize(kGpu); }, "index_select", expected);
  synchronize(kGpu);  // raised once
  expect_error([&] { derived.item<float>(); }, "index_select", expected);
  expect_error([&] { derived.to(kCPU); }, "index_select", expected);
  expect_error([&] { copied.to_vector<float>(); }, "index_select", expected);
  // Recorded after the error was raised.
  Tensor later = derived.mean() + 1.0f;
  expect_error([&] { later.item<float>(); }, "index_select", expected);
  // What did not read the faulty tensor reads normally.
  EXPECT_EQ(values_of(clean), values_of(x.to(kCPU) * 2.0f));
  EXPECT_EQ(values_of(index_select(x, 0, from_vector<int64_t>({3}).to(kGpu))),
            values_of(x.to(kCPU).select(0, 3).unsqueeze(0)));
}

TEST(VulkanDeviceErrors, FreedFaultyMemoryIsCleanForItsNextTensor) {
  REQUIRE_GPU();
  Tensor x = random_tensor({64, 64}).to(kGpu);
  Tensor bad = index_select(x, 0, from_vector<int64_t>({-1}).to(kGpu));
  expect_error([&] { bad.to(kCPU); }, "index_select", "index -1 is out of range");
  bad = Tensor();
  for (int i = 0; i < 4; ++i) {
    Tensor fresh = full({1, 64}, 5.0f, kFloat32, kGpu);
    EXPECT_EQ(fresh.to_vector<float>(), std::vector<float>(64, 5.0f));
  }
}

TEST(VulkanDeviceErrors, OverwritingAllOfTheTensorClearsTheMark) {
  REQUIRE_GPU();
  Tensor x = random_tensor({4, 3}).to(kGpu);
  Tensor bad = index_select(x, 0, from_vector<int64_t>({7, 0}).to(kGpu));
  expect_error([&] { synchronize(kGpu); }, "index_select", "index 7 is out of range");
  // Part of it: still poisoned.
  bad.select(0, 0).copy_(full({3}, 1.0f));
  expect_error([&] { bad.to(kCPU); }, "index_select", "index 7 is out of range");
  bad.copy_(full({2, 3}, 4.0f));  // from the host
  EXPECT_EQ(bad.to_vector<float>(), std::vector<float>(6, 4.0f));
  Tensor again = index_select(x, 0, from_vector<int64_t>({7}).to(kGpu));
  expect_error([&] { synchronize(kGpu); }, "index_select", "index 7 is out of range");
  again.fill_(2.0f);
  EXPECT_EQ(again.to_vector<float>(), std::vector<float>(3, 2.0f));
}

TEST(VulkanDeviceErrors, CrossEntropyTargetsAreWordedAsOnTheCpu) {
  REQUIRE_GPU();
  Tensor logits = random_tensor({2, 3});
  Tensor target = from_vector<int64_t>({0, 3});
  std::string cpu = error_of([&] { nn::functional::cross_entropy(logits, target).item<float>(); });
  Tensor loss = nn::functional::cross_entropy(logits.to(kGpu), target.to(kGpu));
  std::string gpu = error_of([&] { loss.item<float>(); });
  EXPECT_EQ(gpu,
            "[cross_entropy] target 3 of sample 1 is out of range [0, 3); logits [2,3], target [2] "
            "(found on vulkan:0)");
  EXPECT_EQ(gpu.rfind(cpu, 0), 0u) << "CPU: " << cpu << "\nVulkan: " << gpu;
  expect_error([&] { loss.item<float>(); }, "cross_entropy", "target 3 of sample 1");
}

TEST(VulkanDeviceErrors, EachDispatchReportsInItsOwnSlotPastTheRingsLength) {
  REQUIRE_GPU();
  Tensor x = random_tensor({5, 2}).to(kGpu);
  Tensor good = from_vector<int64_t>({4}).to(kGpu);
  std::vector<Tensor> outs;
  for (uint32_t i = 0; i < vulkan::DeviceChecks::kSlots + 100; ++i) {
    outs.push_back(index_select(x, 0, good));
  }
  Tensor first_bad = index_select(x, 0, from_vector<int64_t>({5}).to(kGpu));
  Tensor second_bad = gather(x, 1, from_vector<int64_t>({0, 2}).reshape({1, 2}).to(kGpu));
  Tensor after = index_select(x, 0, good);
  expect_error([&] { after.to(kCPU); }, "index_select",
               "index 5 is out of range for dimension 0 with size 5");
  expect_error([&] { second_bad.to(kCPU); }, "gather",
               "[gather] index 2 is out of range for dimension 1 with size 2; input [5,2], index "
               "[1,2]");
  expect_error([&] { first_bad.to(kCPU); }, "index_select", "index 5 is out of range");
  std::vector<float> row = x.to(kCPU).select(0, 4).to_vector<float>();
  EXPECT_EQ(after.to_vector<float>(), row);
  for (const Tensor& out : outs) ASSERT_EQ(out.to_vector<float>(), row);
}

TEST(VulkanDeviceErrors, ACheckedKernelBindsAtMostEightBuffersAsEveryKernelDoes) {
  REQUIRE_GPU();
  Tensor x = full({4}, 1.0f, kFloat32, kGpu);
  vulkan::VulkanBackend& gpu = vulkan::backend(0);
  Shape shape{4};
  vulkan::CheckContext context =
      vulkan::check_context("index_select", 0, {"input", &shape}, {"index", &shape});
  uint32_t push[4] = {};
  using vulkan::reads;
  expect_error(
      [&] {
        gpu.launch_checked(vulkan::shaders::index, {64},
                           {reads(x), reads(x), reads(x), reads(x), reads(x), reads(x), reads(x),
                            reads(x), gpu.device_checks()},
                           push, sizeof push, {}, {0, context});
      },
      "vulkan", "a kernel binds at most 8 buffers, got 9");
  EXPECT_EQ(x.to_vector<float>(), std::vector<float>(4, 1.0f));
}

}  // namespace
}  // namespace ember::test
