// Throughput of single ops on one device: the CPU, or the one EMBER_BENCH_DEVICE names
// (vulkan:0). bench/torch/ops.py times the same workloads in PyTorch under the same names;
// bench/compare.py prints both side by side. On a GPU every iteration ends with a
// synchronize, so a time covers the work and not only its recording.
#include <benchmark/benchmark.h>
#include <ember/ember.h>

#include <cstdlib>

namespace em = ember;

namespace {

const em::Device kDevice = [] {
  const char* name = std::getenv("EMBER_BENCH_DEVICE");
  return em::Device(name != nullptr && *name != '\0' ? name : "cpu");
}();

constexpr int64_t kSoftmaxRow = 1024;

em::Tensor input(int64_t n, uint64_t seed) {
  em::manual_seed(seed);
  return em::randn({n}, em::kFloat32, kDevice);
}

// Runs op once per iteration and waits for it (a no-op on the CPU).
template <typename Op>
void timed(benchmark::State& state, const Op& op) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(op());
    em::synchronize(kDevice);
  }
}

template <typename Op>
void elementwise(benchmark::State& state, Op op) {
  int64_t n = state.range(0);
  em::Tensor a = input(n, 1), b = input(n, 2);
  timed(state, [&] { return op(a, b); });
  state.SetBytesProcessed(state.iterations() * n * 4 * 3);
}

void add(benchmark::State& s) {
  elementwise(s, [](auto& a, auto& b) { return a + b; });
}
void mul(benchmark::State& s) {
  elementwise(s, [](auto& a, auto& b) { return a * b; });
}
void exp(benchmark::State& s) {
  elementwise(s, [](auto& a, auto&) { return em::exp(a); });
}

// The device's copy bandwidth: the yardstick for the elementwise ops (bytes read + written).
void copy(benchmark::State& state) {
  em::Tensor a = input(state.range(0), 1);
  timed(state, [&] { return a.clone(); });
  state.SetBytesProcessed(state.iterations() * state.range(0) * 4 * 2);
}

void sum(benchmark::State& state) {
  em::Tensor a = input(state.range(0), 1);
  timed(state, [&] { return a.sum(); });
  state.SetBytesProcessed(state.iterations() * state.range(0) * 4);
}

void softmax(benchmark::State& state) {
  em::Tensor a = input(state.range(0), 1).reshape({-1, kSoftmaxRow});
  timed(state, [&] { return em::softmax(a, -1); });
  state.SetBytesProcessed(state.iterations() * state.range(0) * 4 * 2);
}

void matmul_of(benchmark::State& state, em::DType dtype) {
  int64_t n = state.range(0);
  em::Tensor a = input(n * n, 1).reshape({n, n}).to(dtype);
  em::Tensor b = input(n * n, 2).reshape({n, n}).to(dtype);
  timed(state, [&] { return em::matmul(a, b); });
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * n * n * n * state.iterations(), benchmark::Counter::kIsRate,
                         benchmark::Counter::kIs1000);
}

void matmul(benchmark::State& state) { matmul_of(state, em::kFloat32); }
// 16-bit operands and output, float32 accumulation.
void matmul_bf16(benchmark::State& state) { matmul_of(state, em::kBFloat16); }
void matmul_f16(benchmark::State& state) { matmul_of(state, em::kFloat16); }

// The host cost of one op: what a small model pays per op beyond the arithmetic. On a GPU
// it is the cost of recording the op (and a share of its submit); the device catches up
// outside the timed region every few hundred ops, so the time is not the GPU's.
void add_one_element(benchmark::State& state) {
  em::Tensor a = em::ones({1}, em::kFloat32, kDevice), b = em::ones({1}, em::kFloat32, kDevice);
  constexpr int64_t kOpsBetweenWaits = 256;
  int64_t since_wait = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(a + b);
    if (++since_wait == kOpsBetweenWaits) {
      state.PauseTiming();
      em::synchronize(kDevice);
      state.ResumeTiming();
      since_wait = 0;
    }
  }
}

constexpr int64_t kMillion = 1 << 20;

}  // namespace

BENCHMARK(add)->Arg(kMillion)->Arg(16 * kMillion)->UseRealTime();
BENCHMARK(mul)->Arg(kMillion)->Arg(16 * kMillion)->UseRealTime();
BENCHMARK(exp)->Arg(kMillion)->Arg(16 * kMillion)->UseRealTime();
BENCHMARK(sum)->Arg(kMillion)->Arg(16 * kMillion)->UseRealTime();
BENCHMARK(softmax)->Arg(kMillion)->Arg(16 * kMillion)->UseRealTime();
BENCHMARK(matmul)->Arg(512)->Arg(1024)->Arg(2048)->UseRealTime();
BENCHMARK(matmul_bf16)->Arg(1024)->Arg(2048)->UseRealTime();
BENCHMARK(matmul_f16)->Arg(1024)->Arg(2048)->UseRealTime();
BENCHMARK(add_one_element)->UseRealTime();

int main(int argc, char** argv) {
  if (!kDevice.is_cpu()) {  // the workloads that size a GPU
    benchmark::RegisterBenchmark("copy", copy)->Arg(64 * kMillion)->UseRealTime();
    benchmark::RegisterBenchmark("add", add)->Arg(64 * kMillion)->UseRealTime();
    benchmark::RegisterBenchmark("matmul", matmul)->Arg(4096)->UseRealTime();
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
