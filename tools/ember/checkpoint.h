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
  std::string model, optimizer, precision;
  int64_t epochs_done = 0;
  int64_t batch_size = 0;
  double lr = 0;
  uint64_t seed = 0;
  RngState rng;
  History history;
};

// The scaler's state is saved when it is enabled (fp16).
void save_checkpoint(const std::string& path, const nn::Module& model,
                     const optim::Optimizer& optimizer, const GradScaler& scaler,
                     const CheckpointInfo& info);
// Reads the metadata only. Raises ember::Error naming the file and the field if the file is
// not an Ember checkpoint or a field is outside what the command line accepts for it.
CheckpointInfo read_checkpoint_info(const std::string& path);
// Loads the states into model, optimizer and an enabled scaler (each may be null).
void load_checkpoint(const std::string& path, nn::Module* model, optim::Optimizer* optimizer,
                     const Device& device, GradScaler* scaler = nullptr);

// What a run trains, on device.
struct TrainingState {
  CheckpointInfo info;
  std::shared_ptr<nn::Module> model;
  std::unique_ptr<optim::Optimizer> optimizer;
  GradScaler scaler;  // enabled for fp16
};
// A fresh model and optimizer from o's settings; on --resume the checkpoint's settings,
// which an explicit flag may repeat but not contradict, with its states and generator
// loaded. Raises ember::Error, before any training, on anything a checkpoint gets wrong.
TrainingState start_training(const TrainOptions& o, const Device& device);

}  // namespace ember::cli
