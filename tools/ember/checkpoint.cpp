#include "checkpoint.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/excerpt.h"

#include "models.h"
#include "option_limits.h"
#include "precision.h"

namespace ember::cli {

namespace {

constexpr const char* kModelPrefix = "model.";
constexpr const char* kOptimizerPrefix = "optimizer.";
constexpr const char* kScalerPrefix = "scaler.";
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
                     const optim::Optimizer& optimizer, const GradScaler& scaler,
                     const CheckpointInfo& info) {
  TensorDict tensors = with_prefix(model.state_dict(), kModelPrefix);
  tensors.merge(with_prefix(optimizer.state_dict(), kOptimizerPrefix));
  tensors.merge(with_prefix(scaler.state_dict(), kScalerPrefix));
  nlohmann::json history = {{"step_loss", info.history.step_loss},
                            {"epoch_loss", info.history.epoch_loss},
                            {"test_accuracy", info.history.test_accuracy}};
  io::Metadata metadata{{kFormatKey, "1"},
                        {"model", info.model},
                        {"optimizer", info.optimizer},
                        {"precision", info.precision},
                        {"epochs_done", std::to_string(info.epochs_done)},
                        {"batch_size", std::to_string(info.batch_size)},
                        {"lr", exact(info.lr)},
                        {"seed", std::to_string(info.seed)},
                        {"rng_seed", std::to_string(info.rng.seed)},
                        {"rng_offset", std::to_string(info.rng.offset)},
                        {"history", history.dump()}};
  io::save_safetensors(path, tensors, metadata);
}

namespace {

// The metadata of one checkpoint, each field checked as the command line checks its flag.
class MetadataReader {
 public:
  explicit MetadataReader(const std::string& path)
      : path_(path), metadata_(io::load_safetensors_metadata(path)) {
    text(kFormatKey);
  }

  bool has(const char* key) const { return metadata_.count(key) > 0; }
  const std::string& text(const char* key) const {
    auto found = metadata_.find(key);
    if (found == metadata_.end()) {
      throw Error("[checkpoint] " + path_ + " is not an Ember training checkpoint (no '" + key +
                  "')");
    }
    return found->second;
  }
  std::string name(const char* key, const std::vector<std::string>& known) const {
    const std::string& value = text(key);
    if (std::find(known.begin(), known.end(), value) == known.end()) {
      std::string problem = "'";
      problem.append(excerpt(value)).append("' is not one of ").append(joined(known));
      refuse(key, problem);
    }
    return value;
  }
  int64_t integer(const char* key, const IntegerLimit& limit) const {
    int64_t value = 0;
    check(key, parse_integer(text(key), limit, value));
    return value;
  }
  uint64_t unsigned_integer(const char* key) const {
    uint64_t value = 0;
    check(key, parse_unsigned(text(key), value));
    return value;
  }
  double lr(const char* key) const {
    double value = 0;
    check(key, parse_lr(text(key), value));
    return value;
  }
  [[noreturn]] void refuse(const char* key, const std::string& problem) const {
    throw Error("[checkpoint] " + path_ + ": field '" + key + "': " + problem);
  }

 private:
  void check(const char* key, const std::string& problem) const {
    if (!problem.empty()) refuse(key, problem);
  }
  static std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
    return out;
  }

  std::string path_;
  io::Metadata metadata_;
};

// A run may resume with at most this many step losses (128 MiB of them).
constexpr size_t kMaxStepLosses = size_t{1} << 24;

struct Curve {
  const char* key;
  std::vector<double>* values;
  size_t limit;
  bool one_per_epoch;
  bool read = false;
};

void append(const MetadataReader& reader, Curve& curve, const nlohmann::json& value) {
  if (!value.is_number() || !std::isfinite(value.get<double>())) {
    reader.refuse("history", std::string(curve.key) + " holds something other than finite numbers");
  }
  if (curve.values->size() == curve.limit) {
    reader.refuse("history", std::string(curve.key) + " has more than " +
                                 std::to_string(curve.limit) + " values");
  }
  curve.values->push_back(value.get<double>());
}

// The history, read value by value into its curves with no JSON tree kept, so that a
// hostile text costs no more than the curves it may hold: nesting deeper than an object of
// lists, a value other than a finite number and a curve past its limit are refused as read.
History read_history(const MetadataReader& reader, int64_t epochs_done) {
  using Event = nlohmann::json::parse_event_t;
  History history;
  size_t epochs = static_cast<size_t>(epochs_done);
  std::array<Curve, 3> curves{{{"step_loss", &history.step_loss, kMaxStepLosses, false},
                               {"epoch_loss", &history.epoch_loss, epochs, true},
                               {"test_accuracy", &history.test_accuracy, epochs, true}}};
  int depth = 0;
  Curve* named = nullptr;  // the curve that the last top-level key names
  Curve* open = nullptr;   // the curve whose list is being read
  auto read = [&](int, Event event, nlohmann::json& parsed) {
    switch (event) {
      case Event::object_start:
      case Event::array_start:
        if (++depth > 2) reader.refuse("history", "nested deeper than an object of lists");
        if (depth == 2 && event == Event::array_start && named) {
          if (named->read) reader.refuse("history", std::string(named->key) + " given twice");
          open = named;
          open->read = true;
        }
        return true;
      case Event::object_end:
      case Event::array_end:
        if (depth-- == 2) open = nullptr;
        return true;
      case Event::key: {
        if (depth != 1) return true;
        const auto& key = parsed.get_ref<const std::string&>();
        auto found = std::find_if(curves.begin(), curves.end(),
                                  [&](const Curve& curve) { return key == curve.key; });
        named = found == curves.end() ? nullptr : &*found;
        return true;
      }
      case Event::value:
        if (open) append(reader, *open, parsed);
        return depth == 0;  // a value inside the object is in its curve, not in a tree
    }
    return true;
  };
  nlohmann::json top = nlohmann::json::parse(reader.text("history"), read,
                                             /*allow_exceptions=*/false);
  if (!top.is_object()) reader.refuse("history", "not a JSON object");
  for (const Curve& curve : curves) {
    if (!curve.read) reader.refuse("history", "no list " + std::string(curve.key));
    if (curve.one_per_epoch && curve.values->size() != epochs) {
      reader.refuse("history", std::string(curve.key) + " has " +
                                   std::to_string(curve.values->size()) + " values for " +
                                   std::to_string(epochs) + " epochs");
    }
  }
  return history;
}

}  // namespace

CheckpointInfo read_checkpoint_info(const std::string& path) {
  MetadataReader reader(path);
  CheckpointInfo info;
  info.model = reader.name("model", model_names());
  info.optimizer = reader.name("optimizer", optimizer_names());
  // Checkpoints from before --precision trained in fp32.
  info.precision = reader.has("precision") ? reader.name("precision", precision_names()) : "fp32";
  info.epochs_done = reader.integer("epochs_done", kEpochsDoneLimit);
  info.batch_size = reader.integer("batch_size", kBatchSizeLimit);
  info.lr = reader.lr("lr");
  info.seed = reader.unsigned_integer("seed");
  info.rng = {reader.unsigned_integer("rng_seed"), reader.unsigned_integer("rng_offset")};
  info.history = read_history(reader, info.epochs_done);
  return info;
}

void load_checkpoint(const std::string& path, nn::Module* model, optim::Optimizer* optimizer,
                     const Device& device, GradScaler* scaler) {
  TensorDict tensors = io::load_safetensors(path, device);
  try {
    if (model) model->load_state_dict(strip_prefix(tensors, kModelPrefix));
    if (optimizer) optimizer->load_state_dict(strip_prefix(tensors, kOptimizerPrefix));
    if (scaler && scaler->is_enabled()) {
      scaler->load_state_dict(strip_prefix(tensors, kScalerPrefix));
    }
  } catch (const Error& e) {  // the states do not know which file they came from
    throw Error(std::string(e.what()) + " (in " + path + ")");
  }
}

namespace {

// On --resume: the checkpoint's settings, which an explicit flag may repeat but not
// contradict.
CheckpointInfo starting_point(const TrainOptions& o) {
  CheckpointInfo fresh{o.model, o.optimizer, o.precision, 0, o.batch_size, o.lr, o.seed, {}, {}};
  if (o.resume.empty()) return fresh;
  CheckpointInfo saved = read_checkpoint_info(o.resume);
  auto refuse = [&](const std::string& what) {
    throw Error("[train] " + o.resume + " was trained with " + what + "; resume with the same");
  };
  if (saved.model != o.model) refuse("model " + saved.model);
  if (saved.optimizer != o.optimizer) refuse("optimizer " + saved.optimizer);
  if (o.precision_given && saved.precision != o.precision) refuse("precision " + saved.precision);
  if (o.seed_given && saved.seed != o.seed) refuse("seed " + std::to_string(saved.seed));
  if (o.batch_size_given && saved.batch_size != o.batch_size) {
    refuse("batch size " + std::to_string(saved.batch_size));
  }
  return saved;
}

}  // namespace

TrainingState start_training(const TrainOptions& o, const Device& device) {
  CheckpointInfo info = starting_point(o);
  GradScaler scaler = make_scaler(Precision(info.precision));
  TrainingState state{std::move(info), nullptr, nullptr, std::move(scaler)};
  manual_seed(state.info.seed);
  state.model = make_model(o.model);
  state.model->to(device);
  state.optimizer = make_optimizer(o.optimizer, state.model->parameters(), state.info.lr);
  if (!o.resume.empty()) {
    load_checkpoint(o.resume, state.model.get(), state.optimizer.get(), device, &state.scaler);
    set_rng_state(state.info.rng);
  }
  return state;
}

}  // namespace ember::cli
