// A training checkpoint: the model's and the optimizer's state in one safetensors file,
// with what is needed to resume (epochs done, settings, curves, the generator) as metadata.
#pragma once

#include <string>

#include "ember/ember.h"
#include "plot.h"

namespace ember::cli {

struct CheckpointInfo {
  std::string model, optimizer;
  int64_t epochs_done = 0;
  int64_t batch_size = 0;
  double lr = 0;
  uint64_t seed = 0;
  RngState rng;
  History history;
};

void save_checkpoint(const std::string& path, const nn::Module& model,
                     const optim::Optimizer& optimizer, const CheckpointInfo& info);
// Reads the metadata only; raises ember::Error if the file is not an Ember checkpoint.
CheckpointInfo read_checkpoint_info(const std::string& path);
// Loads the states into model and optimizer (either may be null).
void load_checkpoint(const std::string& path, nn::Module* model, optim::Optimizer* optimizer,
                     const Device& device);

}  // namespace ember::cli
