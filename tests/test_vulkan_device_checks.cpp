// The bookkeeping behind Vulkan device errors (backend/vulkan/device_checks.h), on the host
// alone: recording a checked dispatch, or freeing a range, allocates nothing in steady state,
// and what a failed check names and poisons survives the slot ring wrapping and the log
// compacting.
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "backend/vulkan/device_checks.h"
#include "test_util.h"

namespace {

std::atomic<size_t> heap_allocations{0};

}  // namespace

void* operator new(std::size_t size) {
  heap_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace ember::test {
namespace {

using vulkan::Allocation;
using vulkan::BufferUse;
using vulkan::CheckContext;
using vulkan::CheckedShape;
using vulkan::DeviceChecks;

Allocation mapped_at(std::vector<uint32_t>& words) {
  Allocation allocation;
  allocation.mapped = reinterpret_cast<char*>(words.data());
  return allocation;
}

// The checks of a device whose slot buffer is host memory.
struct HostChecks {
  std::vector<uint32_t> words =
      std::vector<uint32_t>(DeviceChecks::kSlots * DeviceChecks::kSlotWords);
  Allocation slots = mapped_at(words);
  DeviceChecks checks{&slots, Device(DeviceType::Vulkan, 0)};

  // What a kernel writes into its slot when it finds index `value` out of range [0, bound).
  void fail_index(uint32_t slot, uint32_t value, uint32_t bound) {
    uint32_t* report = words.data() + slot * DeviceChecks::kSlotWords;
    report[0] = 2;  // DeviceCheck::Index
    report[1] = value;
    report[3] = bound;
  }
};

const Shape kWeight{1000, 64}, kIndices{8, 32};

CheckContext embedding_context() {
  return vulkan::check_context("embedding", 0, {"weight", &kWeight}, {"indices", &kIndices});
}

// One training step in submission `serial`: a checked lookup, then work computed from it.
void record_step(DeviceChecks& checks, uint64_t serial, Allocation& weight, Allocation& out,
                 Allocation& hidden, Allocation& loss) {
  CheckContext context = embedding_context();
  BufferUse lookup[] = {{&out, true}, {&weight, false}};
  checks.note_uses(lookup, serial, &context);
  BufferUse layer[] = {{&hidden, true}, {&out, false}, {&weight, false}};
  checks.note_uses(layer, serial, nullptr);
  BufferUse reduce[] = {{&loss, true}, {&hidden, false}};
  checks.note_uses(reduce, serial, nullptr);
  checks.forget(hidden);  // freed, and handed to the next step
}

TEST(VulkanDeviceChecks, SteadyTrainingWithChecksInFlightAllocatesNothingPerDispatch) {
  HostChecks host;
  Allocation weight, out, hidden, loss;
  constexpr uint64_t kLag = 16;  // the device runs this many steps behind the host
  auto step = [&](uint64_t serial) {
    record_step(host.checks, serial, weight, out, hidden, loss);
    if (serial > kLag) host.checks.resolve(serial - kLag);
  };
  uint64_t serial = 1;
  for (; serial <= 200; ++serial) step(serial);
  size_t before = heap_allocations.load();
  for (; serial <= 5000; ++serial) step(serial);
  EXPECT_EQ(heap_allocations.load() - before, 0u);
  host.checks.resolve(serial);
  EXPECT_NO_THROW(host.checks.raise_pending());
}

TEST(VulkanDeviceChecks, FreeingEveryTaintedRangeAllocatesNothing) {
  HostChecks host;
  Allocation weight, out;
  std::vector<Allocation> derived(5000);
  CheckContext context = embedding_context();
  BufferUse lookup[] = {{&out, true}, {&weight, false}};
  host.checks.note_uses(lookup, 1, &context);
  for (Allocation& a : derived) {
    BufferUse use[] = {{&a, true}, {&out, false}};
    host.checks.note_uses(use, 1, nullptr);
  }
  size_t before = heap_allocations.load();
  host.checks.forget(out);
  for (Allocation& a : derived) host.checks.forget(a);
  EXPECT_EQ(heap_allocations.load() - before, 0u);
}

TEST(VulkanDeviceChecks, AFailureAfterTheRingWrapsPoisonsWhatFlowedFromItAlone) {
  HostChecks host;
  Allocation weight, out, hidden, loss, freed, reused;
  uint64_t serial = 1;
  for (; serial <= 3 * DeviceChecks::kSlots + 5; ++serial) {
    record_step(host.checks, serial, weight, out, hidden, loss);
    host.checks.resolve(serial);
  }
  uint32_t slot = host.checks.next_slot();
  record_step(host.checks, serial, weight, out, hidden, loss);
  BufferUse into_freed[] = {{&freed, true}, {&out, false}};
  host.checks.note_uses(into_freed, serial, nullptr);
  host.checks.forget(freed);
  BufferUse into_reused[] = {{&reused, true}, {&freed, false}};
  host.checks.note_uses(into_reused, serial, nullptr);
  host.fail_index(slot, 70000, 1000);
  host.checks.resolve(serial);

  const char* expected =
      "[embedding] index 70000 is out of range for dimension 0 with size 1000; weight [1000,64], "
      "indices [8,32] (found on vulkan:0)";
  expect_error([&] { host.checks.raise_pending(); }, "embedding", expected);
  EXPECT_NO_THROW(host.checks.raise_pending());
  expect_error([&] { DeviceChecks::raise_if_poisoned(out); }, "embedding", expected);
  expect_error([&] { DeviceChecks::raise_if_poisoned(loss); }, "embedding", expected);
  EXPECT_NO_THROW(DeviceChecks::raise_if_poisoned(hidden));  // freed in the step
  EXPECT_NO_THROW(DeviceChecks::raise_if_poisoned(freed));
  EXPECT_NO_THROW(DeviceChecks::raise_if_poisoned(reused));
  EXPECT_NO_THROW(DeviceChecks::raise_if_poisoned(weight));
}

TEST(VulkanDeviceChecks, ShapesKeepEightDimensionsAndTheRank) {
  EXPECT_EQ(CheckedShape(Shape{}).str(), "[]");
  EXPECT_EQ(CheckedShape(Shape{8, 32}).str(), "[8,32]");
  EXPECT_EQ(CheckedShape(Shape{1, 2, 3, 4, 5, 6, 7, 8}).str(), "[1,2,3,4,5,6,7,8]");
  EXPECT_EQ(CheckedShape(Shape{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}).str(),
            "[1,2,3,4,5,6,7,8,...] (10 dims)");
}

TEST(VulkanDeviceChecks, AMessageNamesAShapePastEightDimensionsByItsRank) {
  HostChecks host;
  Allocation input, index, out;
  Shape wide{2, 1, 1, 1, 1, 1, 1, 1, 1, 3};
  Shape positions{4};
  CheckContext context =
      vulkan::check_context("index_select", 9, {"input", &wide}, {"index", &positions});
  uint32_t slot = host.checks.next_slot();
  BufferUse uses[] = {{&out, true}, {&input, false}, {&index, false}};
  host.checks.note_uses(uses, 1, &context);
  host.fail_index(slot, 3, 3);
  host.checks.resolve(1);
  expect_error([&] { host.checks.raise_pending(); }, "index_select",
               "[index_select] index 3 is out of range for dimension 9 with size 3; input "
               "[2,1,1,1,1,1,1,1,...] (10 dims), index [4] (found on vulkan:0)");
}

}  // namespace
}  // namespace ember::test
