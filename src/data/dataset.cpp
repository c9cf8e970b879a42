#include "ember/data/dataset.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <new>
#include <numeric>
#include <optional>
#include <thread>
#include <utility>

#include "core/check.h"
#include "core/philox.h"
#include "core/sizes.h"
#include "ember/autograd.h"
#include "ember/data/idx.h"
#include "ember/ops.h"

namespace ember::data {

namespace {

constexpr int kCountersPerEpochBits = 40;
constexpr int64_t kMaxShuffledExamples = int64_t{2} << kCountersPerEpochBits;
constexpr int64_t kMaxShuffledEpochs = int64_t{1} << (64 - kCountersPerEpochBits);

Tensor index_tensor(const std::vector<int64_t>& indices) {
  return from_vector(indices, Shape{static_cast<int64_t>(indices.size())});
}

}  // namespace

TensorDataset::TensorDataset(Tensor inputs, Tensor targets)
    : inputs_(std::move(inputs)), targets_(std::move(targets)) {
  EMBER_CHECK(inputs_.defined() && targets_.defined() && inputs_.dim() > 0 && targets_.dim() > 0,
              "TensorDataset", "inputs and targets must be defined with at least one dim");
  EMBER_CHECK(inputs_.size(0) == targets_.size(0), "TensorDataset", "inputs hold ", inputs_.size(0),
              " examples but targets ", targets_.size(0));
}

Batch TensorDataset::get_batch(const std::vector<int64_t>& indices) const {
  Tensor index = index_tensor(indices).to(inputs_.device());
  return {index_select(inputs_, 0, index), index_select(targets_, 0, index.to(targets_.device()))};
}

FashionMNIST::FashionMNIST(Split split, const std::string& root) {
  std::string prefix = root + (split == Split::Train ? "/train" : "/t10k");
  images_ = read_idx(prefix + "-images-idx3-ubyte.gz");
  labels_ = read_idx(prefix + "-labels-idx1-ubyte.gz").to(kInt64);
  EMBER_CHECK(images_.dim() == 3 && images_.size(1) == 28 && images_.size(2) == 28 &&
                  images_.dtype() == kUInt8,
              "FashionMNIST", prefix, "-images-idx3-ubyte.gz holds ", images_.dtype(), " ",
              images_.shape(), ", not uint8 images of 28x28");
  EMBER_CHECK(labels_.dim() == 1 && labels_.size(0) == images_.size(0), "FashionMNIST",
              "the label file holds ", labels_.shape(), " labels for ", images_.size(0), " images");
}

Batch FashionMNIST::get_batch(const std::vector<int64_t>& indices) const {
  NoGradGuard no_grad;
  Tensor index = index_tensor(indices);
  Tensor pixels = index_select(images_, 0, index).to(kFloat32);
  Tensor images = (pixels * static_cast<float>(1 / (255 * kStd)) - static_cast<float>(kMean / kStd))
                      .unsqueeze(1);
  return {images, index_select(labels_, 0, index)};
}

namespace {

// 0..n-1 ordered by one Philox draw each, ties by index.
std::vector<int64_t> sorted_by_key(int64_t n, uint64_t seed, int64_t epoch) {
  philox::Key key = philox::key_of(seed);
  uint64_t base = static_cast<uint64_t>(epoch) << kCountersPerEpochBits;
  std::vector<uint64_t> keys(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; i += 2) {
    philox::Block block = philox::block_at(key, base + static_cast<uint64_t>(i / 2));
    keys[i] = philox::to_uint64(block[0], block[1]);
    if (i + 1 < n) keys[i + 1] = philox::to_uint64(block[2], block[3]);
  }
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](int64_t a, int64_t b) { return keys[a] != keys[b] ? keys[a] < keys[b] : a < b; });
  return order;
}

}  // namespace

std::vector<int64_t> shuffled_indices(int64_t n, uint64_t seed, int64_t epoch) {
  // Each epoch draws from its own range of 2^40 counters, two 64-bit keys per block: more
  // examples or epochs would reuse another epoch's counters.
  EMBER_CHECK(n >= 0 && n <= kMaxShuffledExamples, "shuffled_indices",
              "n must be in [0, 2^41], got ", n);
  EMBER_CHECK(epoch >= 0 && epoch < kMaxShuffledEpochs, "shuffled_indices",
              "epoch must be in [0, 2^24), got ", epoch);
  // A custom dataset may hold more examples than memory: refused before any allocation, as
  // a failed one is not always an exception (a sanitizer's allocator aborts).
  int64_t bytes =
      checked_mul(n, sizeof(uint64_t) + sizeof(int64_t), "shuffled_indices", "the order's bytes");
  check_host_buffer(static_cast<size_t>(bytes), "shuffled_indices");
  try {
    return sorted_by_key(n, seed, epoch);
  } catch (const std::bad_alloc&) {
    detail::fail("shuffled_indices", "out of memory: shuffling ", n, " examples needs ", bytes,
                 " bytes of host memory");
  }
}

DataLoader::DataLoader(const Dataset& dataset, const DataLoaderOptions& options)
    : dataset_(dataset), options_(options) {
  EMBER_CHECK(options.batch_size > 0, "DataLoader", "batch_size must be positive, got ",
              options.batch_size);
}

// Written so that no batch size, however large, overflows: n + b - 1 would.
int64_t DataLoader::size() const {
  int64_t n = examples(), b = options_.batch_size;
  bool partial = !options_.drop_last && n % b != 0;
  return n / b + (partial ? 1 : 0);
}

int64_t DataLoader::examples() const {
  int64_t n = dataset_.size();
  EMBER_CHECK(n >= 0, "DataLoader", "the dataset reports ", n, " examples");
  return n;
}

DataLoader::Iterator DataLoader::begin() {
  std::vector<int64_t> order;
  if (options_.shuffle) {
    order = shuffled_indices(examples(), options_.seed, epoch_);
  } else {
    order.resize(static_cast<size_t>(examples()));
    std::iota(order.begin(), order.end(), 0);
  }
  ++epoch_;
  return Iterator(this, std::move(order), 0);
}

DataLoader::Iterator DataLoader::end() const { return Iterator(nullptr, {}, size()); }

Batch DataLoader::load(const std::vector<int64_t>& order, int64_t batch) const {
  int64_t begin = checked_mul(batch, options_.batch_size, "DataLoader", "batch index and size");
  int64_t examples = std::min(options_.batch_size, static_cast<int64_t>(order.size()) - begin);
  auto first = order.begin() + begin;
  return dataset_.get_batch(std::vector<int64_t>(first, first + examples));
}

// Loads one batch ahead on its own thread: the thread (and its OpenMP team) lives for an
// epoch, not for a batch. Without prefetch, take() loads on the caller's thread instead.
class BatchWorker {
 public:
  BatchWorker(std::function<Batch(int64_t)> load, bool background) : load_(std::move(load)) {
    if (background) thread_ = std::thread([this] { run(); });
  }
  ~BatchWorker() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  BatchWorker(const BatchWorker&) = delete;
  BatchWorker& operator=(const BatchWorker&) = delete;

  void start(int64_t batch) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      request_ = batch;
    }
    changed_.notify_all();
  }

  // The requested batch, once loaded; an exception from loading it is rethrown here.
  Batch take() {
    if (!thread_.joinable()) return load_(*std::exchange(request_, std::nullopt));
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return result_.has_value() || error_; });
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    return *std::exchange(result_, std::nullopt);
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      changed_.wait(lock, [this] { return stopping_ || request_.has_value(); });
      if (stopping_) return;
      int64_t batch = *std::exchange(request_, std::nullopt);
      lock.unlock();
      std::optional<Batch> loaded;
      std::exception_ptr error;
      try {
        loaded = load_(batch);
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      result_ = std::move(loaded);
      error_ = error;
      changed_.notify_all();
    }
  }

  std::function<Batch(int64_t)> load_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<int64_t> request_;
  std::optional<Batch> result_;
  std::exception_ptr error_;
  bool stopping_ = false;
  std::thread thread_;  // last: it starts once everything above exists
};

DataLoader::Iterator::Iterator(const DataLoader* loader, std::vector<int64_t> order,
                               int64_t position)
    : loader_(loader), position_(position) {
  if (!loader_ || position_ >= loader_->size()) return;
  auto shared_order = std::make_shared<const std::vector<int64_t>>(std::move(order));
  worker_ = std::make_shared<BatchWorker>(
      [loader, shared_order](int64_t batch) { return loader->load(*shared_order, batch); },
      loader_->options_.prefetch);
  worker_->start(position_);
  load_current();
}

// Takes the batch prepared in the background and starts preparing the one after it.
void DataLoader::Iterator::load_current() {
  current_ = worker_->take();
  if (position_ + 1 < loader_->size()) worker_->start(position_ + 1);
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  ++position_;
  if (position_ < loader_->size()) load_current();
  return *this;
}

}  // namespace ember::data
