#include "checkpoint.h"

#include <nlohmann/json.hpp>

namespace ember::cli {

namespace {

constexpr const char* kModelPrefix = "model.";
constexpr const char* kOptimizerPrefix = "optimizer.";
constexpr const char* kFormatKey = "ember_checkpoint";

// Numbers travel as decimal strings; doubles with every digit, so a resumed run is exact.
std::string exact(double value) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

TensorDict with_prefix(const TensorDict& tensors, const std::string& prefix) {
  TensorDict out;
  for (const auto& [name, tensor] : tensors) out.emplace(prefix + name, tensor);
  return out;
}

TensorDict strip_prefix(const TensorDict& tensors, const std::string& prefix) {
  TensorDict out;
  for (const auto& [name, tensor] : tensors) {
    if (name.rfind(prefix, 0) == 0) out.emplace(name.substr(prefix.size()), tensor);
  }
  return out;
}

}  // namespace

void save_checkpoint(const std::string& path, const nn::Module& model,
                     const optim::Optimizer& optimizer, const CheckpointInfo& info) {
  TensorDict tensors = with_prefix(model.state_dict(), kModelPrefix);
  tensors.merge(with_prefix(optimizer.state_dict(), kOptimizerPrefix));
  nlohmann::json history = {{"step_loss", info.history.step_loss},
                            {"epoch_loss", info.history.epoch_loss},
                            {"test_accuracy", info.history.test_accuracy}};
  io::Metadata metadata{{kFormatKey, "1"},
                        {"model", info.model},
                        {"optimizer", info.optimizer},
                        {"epochs_done", std::to_string(info.epochs_done)},
                        {"batch_size", std::to_string(info.batch_size)},
                        {"lr", exact(info.lr)},
                        {"seed", std::to_string(info.seed)},
                        {"rng_seed", std::to_string(info.rng.seed)},
                        {"rng_offset", std::to_string(info.rng.offset)},
                        {"history", history.dump()}};
  io::save_safetensors(path, tensors, metadata);
}

CheckpointInfo read_checkpoint_info(const std::string& path) {
  io::Metadata metadata = io::load_safetensors_metadata(path);
  auto field = [&](const char* key) {
    auto found = metadata.find(key);
    if (found == metadata.end()) {
      throw Error("[checkpoint] " + path + " is not an Ember training checkpoint (no '" + key +
                  "')");
    }
    return found->second;
  };
  field(kFormatKey);
  CheckpointInfo info;
  try {
    info.model = field("model");
    info.optimizer = field("optimizer");
    info.epochs_done = std::stoll(field("epochs_done"));
    info.batch_size = std::stoll(field("batch_size"));
    info.lr = std::stod(field("lr"));
    info.seed = std::stoull(field("seed"));
    info.rng = {std::stoull(field("rng_seed")), std::stoull(field("rng_offset"))};
    auto history = nlohmann::json::parse(field("history"));
    info.history = {history.at("step_loss").get<std::vector<double>>(),
                    history.at("epoch_loss").get<std::vector<double>>(),
                    history.at("test_accuracy").get<std::vector<double>>()};
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {  // std::stoll's and nlohmann's errors
    throw Error("[checkpoint] " + path + " has malformed metadata: " + e.what());
  }
  return info;
}

void load_checkpoint(const std::string& path, nn::Module* model, optim::Optimizer* optimizer,
                     const Device& device) {
  TensorDict tensors = io::load_safetensors(path, device);
  if (model) model->load_state_dict(strip_prefix(tensors, kModelPrefix));
  if (optimizer) optimizer->load_state_dict(strip_prefix(tensors, kOptimizerPrefix));
}

}  // namespace ember::cli
