// A training checkpoint: the model's and the optimizer's state in one safetensors file,
// with what is needed to resume (epochs done, settings, curves, the generator) as metadata.
#pragma once

#include <memory>
#include <string>

#include "commands.h"
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
// Reads the metadata only. Raises ember::Error naming the file and the field if the file is
// not an Ember checkpoint or a field is outside what the command line accepts for it.
CheckpointInfo read_checkpoint_info(const std::string& path);
// Loads the states into model and optimizer (either may be null).
void load_checkpoint(const std::string& path, nn::Module* model, optim::Optimizer* optimizer,
                     const Device& device);

// What a run trains, on device.
struct TrainingState {
  CheckpointInfo info;
  std::shared_ptr<nn::Module> model;
  std::unique_ptr<optim::Optimizer> optimizer;
};
// A fresh model and optimizer from o's settings; on --resume the checkpoint's settings,
// which an explicit flag may repeat but not contradict, with its states and generator
// loaded. Raises ember::Error, before any training, on anything a checkpoint gets wrong.
TrainingState start_training(const TrainOptions& o, const Device& device);

}  // namespace ember::cli
