#include "backend/vulkan/device_checks.h"

#include <algorithm>
#include <cstring>
#include <sstream>
#include <unordered_set>

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
    out << separator << operand.name << ' ' << operand.shape.str();
    separator = ", ";
  }
  out << " (found on " << device.str() << ")";
  return out.str();
}

}  // namespace

CheckedShape::CheckedShape(const Shape& shape) : rank_(shape.size()) {
  std::copy_n(shape.begin(), std::min(rank_, kMaxDims), sizes_.begin());
}

std::string CheckedShape::str() const {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < std::min(rank_, kMaxDims); ++i) out << (i ? "," : "") << sizes_[i];
  if (rank_ > kMaxDims)
    out << ",...] (" << rank_ << " dims)";
  else
    out << ']';
  return out.str();
}

CheckContext check_context(const char* primitive, int64_t dim, UserOperand first,
                           UserOperand second) {
  const UserOp* user = current_user_op;
  if (user != nullptr) {
    primitive = user->name;
    first = user->operands[0];
    second = user->operands[1];
  }
  return {primitive,
          dim,
          {CheckedOperand{first.name, CheckedShape(*first.shape)},
           CheckedOperand{second.name, CheckedShape(*second.shape)}}};
}

DeviceChecks::DeviceChecks(Allocation* slots, const Device& device)
    : slots_(slots), device_(device), dispatches_(kSlots) {
  std::memset(slots_->mapped, 0, sizeof(uint32_t) * kSlotWords * kSlots);
}

void DeviceChecks::note_uses(std::span<const BufferUse> uses, uint64_t serial,
                             const CheckContext* checked) {
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
  reserve_log(1 + uses.size());
  if (checked != nullptr) {
    dispatches_[next_slot()] = {serial, log_end(), *checked};
    ++next_slot_;
    ++unread_;
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

std::shared_ptr<const Error> DeviceChecks::error_in(uint32_t slot) const {
  auto* words = reinterpret_cast<uint32_t*>(slots_->mapped) + slot * kSlotWords;
  SlotReport report = read_slot(words);
  if (report.check == DeviceCheck::None) return nullptr;
  std::memset(words, 0, sizeof(uint32_t) * kSlotWords);
  return std::make_shared<const Error>(message_of(report, dispatches_[slot].context, device_));
}

void DeviceChecks::resolve(uint64_t serial) {
  while (unread_ > 0 && oldest().serial <= serial) {
    uint32_t slot = oldest_slot();
    if (auto error = error_in(slot)) [[unlikely]] {
      poison_from(dispatches_[slot].log_position, error);
      if (pending_ == nullptr) pending_ = error;
    }
    --unread_;
  }
  resolved_ = std::max(resolved_, serial);
  prune_log();
}

// Replays the log from the failed dispatch: what it wrote is poisoned, and so is what
// every later logged dispatch wrote after reading a poisoned range.
void DeviceChecks::poison_from(uint64_t log_position, const std::shared_ptr<const Error>& error) {
  std::unordered_set<Allocation*> poisoned;
  auto entry = log_.begin() + static_cast<std::ptrdiff_t>(log_position - log_base_);
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

// Makes room for `entries` more, and for a Forget entry per range that may be tainted then.
// A tainted range has a live Write entry since it was last forgotten, and a Forget untaints
// it, so one Forget per live entry is enough until the next call.
void DeviceChecks::reserve_log(size_t entries) {
  size_t live = log_.size() - log_head_ + entries;
  size_t needed = log_.size() + entries + live;
  if (log_.capacity() < needed) log_.reserve(std::max(needed, 2 * log_.capacity()));
}

// Drops the entries before the oldest dispatch whose checks are unread: no replay starts
// there. Their room is reused once they are half the log, which keeps compaction amortized
// constant time per entry.
void DeviceChecks::prune_log() {
  uint64_t keep_from = unread_ == 0 ? log_end() : oldest().log_position;
  log_head_ = static_cast<size_t>(keep_from - log_base_);
  if (log_head_ == 0 || log_head_ * 2 < log_.size()) return;
  log_.erase(log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(log_head_));
  log_base_ = keep_from;
  log_head_ = 0;
}

void DeviceChecks::forget(Allocation& allocation) noexcept {
  // reserve_log left room for this entry, so the push does not allocate.
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
