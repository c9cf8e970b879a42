#include "backend/vulkan/device_checks.h"

#include <algorithm>
#include <cstring>
#include <sstream>
#include <unordered_set>

#include "core/check.h"
#include "core/user_op.h"

namespace ember::vulkan {

namespace {

// The codes of shaders' report_error calls.
enum class DeviceCheck : uint32_t { None = 0, Target = 1, Index = 2 };

struct SlotReport {
  DeviceCheck check;
  int64_t value;
  uint32_t bound, position;
};

SlotReport read_slot(const uint32_t* words) {
  return {static_cast<DeviceCheck>(words[0]),
          static_cast<int64_t>(uint64_t{words[1]} | uint64_t{words[2]} << 32), words[3], words[4]};
}

// The message as the CPU backend words it for the same op, then the operands' shapes.
std::string message_of(const SlotReport& report, const CheckContext& context,
                       const Device& device) {
  std::ostringstream out;
  out << '[' << context.op << "] ";
  if (report.check == DeviceCheck::Target) {
    out << "target " << report.value << " of sample " << report.position << " is out of range [0, "
        << report.bound << ")";
  } else {
    out << "index " << report.value << " is out of range for dimension " << context.dim
        << " with size " << report.bound;
  }
  const char* separator = "; ";
  for (const CheckedOperand& operand : context.operands) {
    out << separator << operand.name << ' ' << shape_string(operand.shape);
    separator = ", ";
  }
  out << " (found on " << device.str() << ")";
  return out.str();
}

}  // namespace

CheckContext check_context(const char* primitive, int64_t dim, CheckedOperand first,
                           CheckedOperand second) {
  const UserOp* user = current_user_op;
  if (user == nullptr) return {primitive, dim, {std::move(first), std::move(second)}};
  return {user->name,
          dim,
          {CheckedOperand{user->operands[0].name, *user->operands[0].shape},
           CheckedOperand{user->operands[1].name, *user->operands[1].shape}}};
}

DeviceChecks::DeviceChecks(Allocation* slots, const Device& device)
    : slots_(slots), device_(device) {
  std::memset(slots_->mapped, 0, sizeof(uint32_t) * kSlotWords * kSlots);
}

void DeviceChecks::note_uses(std::span<const BufferUse> uses, uint64_t serial,
                             CheckContext* checked) {
  uint64_t taint = checked != nullptr ? serial : 0;
  const Allocation* poisoned = nullptr;
  for (const BufferUse& use : uses) {
    const Allocation& a = *use.allocation;
    if (use.write) continue;
    if (a.poison != nullptr) poisoned = &a;
    if (tainted(a)) taint = std::max(taint, a.taint);
  }
  if (poisoned != nullptr) [[unlikely]] {
    for (const BufferUse& use : uses) {
      if (use.write) use.allocation->poison = poisoned->poison;
    }
  }
  if (taint == 0) return;
  if (checked != nullptr) {
    dispatches_.push_back({serial, next_slot(), log_start_ + log_.size(), std::move(*checked)});
    ++next_slot_;
  }
  // A dispatch's reads come before its writes, so that a replay knows at each write
  // whether the dispatch read a poisoned range.
  log_.push_back({nullptr, LogKind::Dispatch});
  for (const BufferUse& use : uses) {
    if (!use.write && tainted(*use.allocation)) log_.push_back({use.allocation, LogKind::Read});
  }
  for (const BufferUse& use : uses) {
    if (!use.write) continue;
    log_.push_back({use.allocation, LogKind::Write});
    use.allocation->taint = std::max(use.allocation->taint, taint);
  }
}

std::shared_ptr<const Error> DeviceChecks::error_in(const CheckedDispatch& dispatch) const {
  auto* words = reinterpret_cast<uint32_t*>(slots_->mapped) + dispatch.slot * kSlotWords;
  SlotReport report = read_slot(words);
  if (report.check == DeviceCheck::None) return nullptr;
  std::memset(words, 0, sizeof(uint32_t) * kSlotWords);
  return std::make_shared<const Error>(message_of(report, dispatch.context, device_));
}

void DeviceChecks::resolve(uint64_t serial) {
  while (!dispatches_.empty() && dispatches_.front().serial <= serial) {
    if (auto error = error_in(dispatches_.front())) [[unlikely]] {
      poison_from(dispatches_.front().log_position, error);
      if (pending_ == nullptr) pending_ = error;
    }
    dispatches_.pop_front();
  }
  resolved_ = std::max(resolved_, serial);
  prune_log();
}

// Replays the log from the failed dispatch: what it wrote is poisoned, and so is what
// every later logged dispatch wrote after reading a poisoned range.
void DeviceChecks::poison_from(uint64_t log_position, const std::shared_ptr<const Error>& error) {
  std::unordered_set<Allocation*> poisoned;
  auto entry = log_.begin() + static_cast<std::ptrdiff_t>(log_position - log_start_);
  bool reads_poison = true;  // the failed dispatch's writes count as poisoned
  for (++entry; entry != log_.end(); ++entry) {
    switch (entry->kind) {
      case LogKind::Dispatch:
        reads_poison = false;
        break;
      case LogKind::Read:
        reads_poison = reads_poison || poisoned.contains(entry->allocation);
        break;
      case LogKind::Write:
        if (reads_poison) poisoned.insert(entry->allocation);
        break;
      case LogKind::Forget:
        poisoned.erase(entry->allocation);
        break;
    }
  }
  for (Allocation* a : poisoned) a->poison = error;
}

// Drops the entries before the oldest dispatch whose checks are unread: no replay
// starts there.
void DeviceChecks::prune_log() {
  uint64_t keep_from =
      dispatches_.empty() ? log_start_ + log_.size() : dispatches_.front().log_position;
  while (log_start_ < keep_from) {
    log_.pop_front();
    ++log_start_;
  }
}

void DeviceChecks::forget(Allocation& allocation) {
  if (tainted(allocation)) log_.push_back({&allocation, LogKind::Forget});
  allocation.taint = 0;
  allocation.poison.reset();
}

void DeviceChecks::raise_pending() {
  if (pending_ == nullptr) [[likely]]
    return;
  std::shared_ptr<const Error> error = std::move(pending_);
  pending_ = nullptr;
  throw *error;
}

}  // namespace ember::vulkan
