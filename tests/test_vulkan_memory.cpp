// The Vulkan caching allocator and the stream: statistics, empty_cache, the memory limit
// and its error, the maxStorageBufferRange refusal, reuse of freed memory while work is
// in flight, and bad settings.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>

#include "backend/vulkan/vulkan_backend.h"
#include "vulkan_test_util.h"

namespace ember::test {
namespace {

// Set before the device opens: the backend reads them once. Poisoning is off because
// its fill of each fresh range is a write that the op's own write must wait for, and
// these tests count barriers.
const bool kLimit = (setenv("EMBER_VULKAN_MEMORY_LIMIT", "96M", 1), true);
const bool kNoPoison = (unsetenv("EMBER_POISON_MEMORY"), true);

constexpr size_t kMiB = size_t{1} << 20;

TEST(VulkanMemory, StatisticsFollowTensors) {
  REQUIRE_GPU();
  synchronize(kGpu);
  empty_cache(kGpu);
  MemoryStats before = memory_stats(kGpu);
  reset_peak_memory(kGpu);
  {
    Tensor big = zeros({4 * 1024 * 1024}, kFloat32, kGpu);  // 16 MiB
    MemoryStats during = memory_stats(kGpu);
    EXPECT_EQ(during.allocated, before.allocated + 16 * kMiB);
    EXPECT_GE(during.reserved, during.allocated);
    EXPECT_EQ(during.peak, during.allocated);
  }
  MemoryStats after = memory_stats(kGpu);
  EXPECT_EQ(after.allocated, before.allocated);
  EXPECT_EQ(after.peak, before.allocated + 16 * kMiB);
  EXPECT_GE(after.reserved, before.reserved + 16 * kMiB);  // cached, not returned
  empty_cache(kGpu);
  EXPECT_EQ(memory_stats(kGpu).reserved, before.reserved);
}

TEST(VulkanMemory, FreedMemoryIsReusedWhileWorkIsInFlight) {
  REQUIRE_GPU();
  Tensor x = random_tensor({1000}).to(kGpu);
  Tensor total = zeros({1000}, kFloat32, kGpu);
  for (int i = 0; i < 300; ++i) {
    Tensor temporary = x * static_cast<double>(i);  // freed at once, reused by the next
    total = total + temporary;
  }
  std::vector<double> want = values_of(x.to(kCPU) * (299.0 * 300.0 / 2));
  EXPECT_NMSE_BELOW(total, want, 1e-12);
}

// A temporary's range is not handed out again while the open command buffer may still be
// using it, so ops that do not depend on each other record no barrier between them.
TEST(VulkanMemory, IndependentOpsRecordNoBarrier) {
  REQUIRE_GPU();
  const vulkan::Stream& stream = vulkan::backend(0).stream();
  Tensor a = random_tensor({64}).to(kGpu);
  synchronize(kGpu);
  uint64_t before = stream.barriers();
  Tensor last;
  for (int i = 1; i <= 12; ++i) last = a * static_cast<double>(i);  // fewer than a submit holds
  EXPECT_EQ(stream.barriers(), before);
  Tensor dependent = last + 1.0;
  EXPECT_EQ(stream.barriers(), before + 1);
  std::vector<double> want = values_of(a.to(kCPU) * 12.0 + 1.0);
  EXPECT_NMSE_BELOW(dependent, want, 1e-12);
}

// When no other range is free and no slab has room, a freed range that the open command
// buffer still writes is handed out again, behind a barrier.
TEST(VulkanMemory, ARangeStillInUseIsReusedBehindABarrier) {
  REQUIRE_GPU();
  const vulkan::Stream& stream = vulkan::backend(0).stream();
  constexpr int64_t kLargestSmall = 256 * 1024;  // floats in the largest range a slab cuts
  constexpr int kRangesPerSlab = 16;
  Tensor a = random_tensor({kLargestSmall}).to(kGpu);
  empty_cache(kGpu);
  // Take such ranges until a fresh slab opens, then the rest of it.
  std::vector<Tensor> held;
  size_t reserved = memory_stats(kGpu).reserved;
  while (memory_stats(kGpu).reserved == reserved) {
    held.push_back(empty({kLargestSmall}, kFloat32, kGpu));
  }
  for (int i = 1; i < kRangesPerSlab; ++i) held.push_back(empty({kLargestSmall}, kFloat32, kGpu));
  synchronize(kGpu);
  uint64_t before = stream.barriers();
  Tensor written = held.back();
  held.pop_back();
  written.copy_(a);
  EXPECT_EQ(stream.barriers(), before);
  written = Tensor();  // free again, while the copy into it is still recorded
  Tensor reused = a * 3.0;
  EXPECT_EQ(stream.barriers(), before + 1);
  EXPECT_EQ(memory_stats(kGpu).reserved, reserved + 16 * kMiB);  // no new slab
  EXPECT_NMSE_BELOW(reused, values_of(a.to(kCPU) * 3.0), 1e-12);
}

TEST(VulkanMemory, TheLimitGivesAClearError) {
  REQUIRE_GPU();
  Tensor held = zeros({16 * 1024 * 1024}, kFloat32, kGpu);  // 64 MiB of the 96 MiB
  expect_error([] { zeros({12 * 1024 * 1024}, kFloat32, kGpu); }, "zeros",
               "out of memory on vulkan:0");
  try {
    zeros({12 * 1024 * 1024}, kFloat32, kGpu);
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("asked for 48.0 MiB"), std::string::npos) << message;
    EXPECT_NE(message.find("64.0 MiB in use"), std::string::npos) << message;
    EXPECT_NE(message.find("limit 96.0 MiB"), std::string::npos) << message;
  }
  held = Tensor();
  Tensor fits = zeros({12 * 1024 * 1024}, kFloat32, kGpu);  // the cache gives way
  EXPECT_EQ(fits.sum().item<float>(), 0.0f);
}

TEST(VulkanMemory, TheLimitIsASizeParsedStrictly) {
  using vulkan::parse_memory_limit;
  EXPECT_EQ(parse_memory_limit(nullptr), 0u);
  EXPECT_EQ(parse_memory_limit(""), 0u);
  EXPECT_EQ(parse_memory_limit("512"), 512u);
  EXPECT_EQ(parse_memory_limit("2k"), 2048u);
  EXPECT_EQ(parse_memory_limit("96M"), 96 * kMiB);
  EXPECT_EQ(parse_memory_limit("1.5G"), 1536 * kMiB);
  EXPECT_EQ(parse_memory_limit("0.5K"), 512u);
  EXPECT_EQ(parse_memory_limit("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(parse_memory_limit("17179869183G"), uint64_t{17179869183} << 30);
  // The value: infinity as a double, which used to be cast to size_t.
  expect_error([] { parse_memory_limit("1e400"); }, "vulkan", "got '1e400': not a number");
  for (const char* bad : {"inf", "nan", "-5", "+5", "0x10", "12Q", "1.2.3", ".", "G", " 5", "5 "}) {
    expect_error([&] { parse_memory_limit(bad); }, "vulkan",
                 "got '" + std::string(bad) + "': not a number");
  }
  for (const char* huge : {"18446744073709551616", "17179869184G", "99999999999999999999999",
                           "18446744073709551616.0"}) {
    expect_error([&] { parse_memory_limit(huge); }, "vulkan", "larger than 2^64 bytes");
  }
  expect_error([] { parse_memory_limit("0"); }, "vulkan", "at least one byte");
  expect_error([] { parse_memory_limit("0.1"); }, "vulkan", "at least one byte");
  std::string long_value(5000, '7');
  long_value += 'x';
  std::string message;
  try {
    parse_memory_limit(long_value.c_str());
  } catch (const Error& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("'" + std::string(100, '7') + "...' (5001 characters)"), std::string::npos)
      << message;
  EXPECT_LT(message.size(), 300u);
}

TEST(VulkanMemory, BuffersBeyondTheBindableRangeAreRefused) {
  REQUIRE_GPU();
  // Larger than any maxStorageBufferRange (at most 4 GiB - 1 by the spec's field size).
  expect_error([] { empty({int64_t{1} << 31}, kFloat32, kGpu); }, "empty", "maxStorageBufferRange");
}

TEST(VulkanMemory, BadDeviceIndexIsReported) {
  expect_error([] { zeros({1}, kFloat32, Device("vulkan:7")); }, "device", "no device vulkan:7");
  // On a thread that has not used a device yet, too.
  std::thread fresh([] {
    expect_error([] { zeros({1}, kFloat32, Device(DeviceType::Vulkan, -1)); }, "device",
                 "no device vulkan:-1");
  });
  fresh.join();
}

}  // namespace
}  // namespace ember::test
