// Throughput of single ops on the CPU. bench/torch/ops.py times the same workloads
// in PyTorch under the same names; bench/compare.py prints both side by side.
#include <benchmark/benchmark.h>
#include <ember/ember.h>

namespace em = ember;

namespace {

constexpr int64_t kSoftmaxRow = 1024;

em::Tensor input(int64_t n, uint64_t seed) {
  em::manual_seed(seed);
  return em::randn({n});
}

template <typename Op>
void elementwise(benchmark::State& state, Op op) {
  int64_t n = state.range(0);
  em::Tensor a = input(n, 1), b = input(n, 2);
  for (auto _ : state) benchmark::DoNotOptimize(op(a, b));
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

void sum(benchmark::State& state) {
  em::Tensor a = input(state.range(0), 1);
  for (auto _ : state) benchmark::DoNotOptimize(a.sum());
  state.SetBytesProcessed(state.iterations() * state.range(0) * 4);
}

void softmax(benchmark::State& state) {
  em::Tensor a = input(state.range(0), 1).reshape({-1, kSoftmaxRow});
  for (auto _ : state) benchmark::DoNotOptimize(em::softmax(a, -1));
  state.SetBytesProcessed(state.iterations() * state.range(0) * 4 * 2);
}

void matmul(benchmark::State& state) {
  int64_t n = state.range(0);
  em::Tensor a = input(n * n, 1).reshape({n, n}), b = input(n * n, 2).reshape({n, n});
  for (auto _ : state) benchmark::DoNotOptimize(em::matmul(a, b));
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * n * n * n * state.iterations(), benchmark::Counter::kIsRate,
                         benchmark::Counter::kIs1000);
}

// The host cost of one op: what a small model pays per op beyond the arithmetic.
void add_one_element(benchmark::State& state) {
  em::Tensor a = em::ones({1}), b = em::ones({1});
  for (auto _ : state) benchmark::DoNotOptimize(a + b);
}

constexpr int64_t kMillion = 1 << 20;

}  // namespace

BENCHMARK(add)->Arg(kMillion)->Arg(16 * kMillion)->UseRealTime();
BENCHMARK(mul)->Arg(kMillion)->Arg(16 * kMillion)->UseRealTime();
BENCHMARK(exp)->Arg(kMillion)->Arg(16 * kMillion)->UseRealTime();
BENCHMARK(sum)->Arg(kMillion)->Arg(16 * kMillion)->UseRealTime();
BENCHMARK(softmax)->Arg(kMillion)->Arg(16 * kMillion)->UseRealTime();
BENCHMARK(matmul)->Arg(512)->Arg(1024)->Arg(2048)->UseRealTime();
BENCHMARK(add_one_element)->UseRealTime();

BENCHMARK_MAIN();
