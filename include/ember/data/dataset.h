// Datasets and the DataLoader, as torch.utils.data's.
//
//   data::FashionMNIST train(data::Split::Train);
//   data::DataLoader loader(train, {.batch_size = 128, .shuffle = true, .seed = 0});
//   for (const data::Batch& batch : loader) { ... batch.input, batch.target ... }
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "ember/tensor.h"

namespace ember::data {

// Examples stacked along a new first dim.
struct Batch {
  Tensor input;
  Tensor target;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  // The examples at the given indices, as one batch. A prefetching loader calls it on its
  // background thread while the training step runs: it must not draw from Ember's global
  // generator (the order of draws would vary) and should return CPU tensors.
  virtual Batch get_batch(const std::vector<int64_t>& indices) const = 0;
};

// Inputs and targets in memory; example i is row i of each.
class TensorDataset : public Dataset {
 public:
  TensorDataset(Tensor inputs, Tensor targets);
  int64_t size() const override { return inputs_.size(0); }
  Batch get_batch(const std::vector<int64_t>& indices) const override;

 private:
  Tensor inputs_, targets_;
};

enum class Split { Train, Test };

// Fashion-MNIST as Debian's dataset-fashion-mnist package installs it. Batches hold
// float32 images [B, 1, 28, 28], scaled to [0, 1] and normalised by the training set's
// mean (0.2860) and standard deviation (0.3530), and int64 labels [B].
class FashionMNIST : public Dataset {
 public:
  static constexpr const char* kDefaultRoot = "/usr/share/datasets/fashion-mnist";
  static constexpr double kMean = 0.2860, kStd = 0.3530;

  explicit FashionMNIST(Split split, const std::string& root = kDefaultRoot);
  int64_t size() const override { return labels_.size(0); }
  Batch get_batch(const std::vector<int64_t>& indices) const override;

 private:
  Tensor images_;  // uint8 [N, 28, 28]
  Tensor labels_;  // int64 [N]
};

class BatchWorker;

struct DataLoaderOptions {
  int64_t batch_size = 1;
  bool shuffle = false;
  uint64_t seed = 0;  // with shuffle: epoch e's order depends on (seed, e) alone
  bool drop_last = false;
  bool prefetch = true;  // load the next batch on a background thread
};

class DataLoader {
 public:
  // dataset must outlive the loader.
  DataLoader(const Dataset& dataset, const DataLoaderOptions& options);

  // An input iterator (std::input_iterator): each batch is loaded as the loop reaches it.
  class Iterator {
   public:
    using iterator_concept = std::input_iterator_tag;
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;

    Iterator() = default;  // of no loader; the standard's ranges require one
    const Batch& operator*() const { return current_; }
    const Batch* operator->() const { return &current_; }
    Iterator& operator++();
    void operator++(int) { ++*this; }
    bool operator==(const Iterator& other) const { return position_ == other.position_; }

   private:
    friend class DataLoader;
    Iterator(const DataLoader* loader, std::vector<int64_t> order, int64_t position);
    void load_current();

    const DataLoader* loader_ = nullptr;
    int64_t position_ = 0;
    Batch current_;
    std::shared_ptr<BatchWorker> worker_;  // one loading thread for the epoch
  };

  // Each begin() starts the next epoch (0 first) unless set_epoch chose one.
  Iterator begin();
  Iterator end() const;
  // Batches per epoch.
  int64_t size() const;
  void set_epoch(int64_t epoch) { epoch_ = epoch; }
  int64_t epoch() const { return epoch_; }

 private:
  Batch load(const std::vector<int64_t>& order, int64_t batch) const;
  int64_t examples() const;  // the dataset's size, checked

  const Dataset& dataset_;
  DataLoaderOptions options_;
  int64_t epoch_ = 0;
};

// The order of 0..n-1 that a shuffling loader uses in epoch epoch: Philox-4x32-10 keys
// from (seed, epoch), sorted; the same on every machine. n is at most 2^41 and epoch below
// 2^24: each epoch has its own range of counters.
std::vector<int64_t> shuffled_indices(int64_t n, uint64_t seed, int64_t epoch);

}  // namespace ember::data
