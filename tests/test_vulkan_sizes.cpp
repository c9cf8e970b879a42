// Checked sizes on the Vulkan device: the front end refuses a wrapping shape before any
// kernel sees it, and eye writes its diagonal through a strided fill.
#include <optional>

#include "vulkan_test_util.h"

namespace ember::test {
namespace {

// Defect: a reshape whose sizes wrapped to 0 elements summed silently to 0 on Vulkan.
TEST(VulkanSizes, WrappingShapesAreRefusedBeforeAnyKernel) {
  REQUIRE_GPU();
  Tensor empty_gpu = zeros({0}, kFloat32, kGpu);
  expect_error(
      [&] {
        empty_gpu.reshape({1LL << 32, 1LL << 32}).sum();
      },
      "reshape", "more elements than an int64 counts");
  expect_error(
      [&] {
        empty_gpu.view({1LL << 32, 1LL << 32}).select(1, 5).sum();
      },
      "view", "more elements than an int64 counts");
  expect_error(
      [] {
        ones({1}, kFloat32, kGpu).expand({3, 6148914691236517206});
      },
      "expand", "more elements than an int64 counts");
  expect_error([] { zeros({(1LL << 61) - 1}, kInt64, kGpu); }, "zeros", "bytes a tensor may hold");
}

TEST(VulkanSizes, CreationOpsCheckTheirSizes) {
  REQUIRE_GPU();
  expect_error([] { eye(1LL << 32, -1, kFloat32, kGpu); }, "eye",
               "more elements than an int64 counts");
  expect_error([] { arange(0, 1e30, 1, std::nullopt, kGpu); }, "arange", "1e+30 elements");
  EXPECT_EQ(eye(3, 2, kFloat32, kGpu).to_vector<float>(), (std::vector<float>{1, 0, 0, 1, 0, 0}));
  EXPECT_EQ(eye(2, 3, kInt32, kGpu).to_vector<int32_t>(), (std::vector<int32_t>{1, 0, 0, 0, 1, 0}));
}

}  // namespace
}  // namespace ember::test
