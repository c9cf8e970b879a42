// Errors that kernels find on the device (an index or a target out of range), raised on
// the host without a wait per op.
//
// Every checked dispatch reports into a slot of its own in a host-visible buffer
// (shaders/checks.glsl). When the stream retires a submission, the slots of its checked
// dispatches are read: a failed check becomes an Error that names the op the user called
// (core/user_op.h) with its shapes. The first such error is raised once, at the next host
// wait; every later read of what the failed dispatch wrote, or of anything computed from
// that, raises the same error.
//
// "Computed from" means: a dispatch, copy or update that reads a poisoned range poisons
// every range it writes, whether it was recorded before the error was found or after. A
// range stays poisoned until it is freed, or wholly overwritten by the host, a fill, or
// a copy from another tensor; other writes may cover only part of it. To poison work recorded
// before the error was found, the ranges that flow from a dispatch whose checks are not yet read
// are "tainted" and their uses are logged; the log is replayed from a failed dispatch once it is
// found.
//
// Recording costs no heap allocation in steady state: a checked dispatch keeps its operands'
// shapes inline (the message is built only when a check fails), dispatches wait in a fixed
// ring of kSlots, and the log is a vector that is compacted in place. The log always has room
// for a Forget entry per range that may be tainted, so freeing a range cannot throw.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "backend/vulkan/allocator.h"
#include "core/user_op.h"
#include "ember/error.h"
#include "ember/tensor.h"

namespace ember::vulkan {

// An operand's shape, copied without allocating; a shape of more than kMaxDims dimensions
// keeps its first kMaxDims sizes and its rank.
class CheckedShape {
 public:
  static constexpr size_t kMaxDims = 8;

  CheckedShape() = default;
  explicit CheckedShape(const Shape& shape);
  // As shape_string writes it ("[8,32]"), or "[1,...,8,...] (12 dims)" past kMaxDims.
  std::string str() const;

 private:
  std::array<int64_t, kMaxDims> sizes_{};
  size_t rank_ = 0;
};

struct CheckedOperand {
  const char* name;  // a string literal
  CheckedShape shape;
};

// What the message of an error found by a checked dispatch names.
struct CheckContext {
  const char* op;
  int64_t dim;  // the indexed dimension (index checks)
  std::array<CheckedOperand, 2> operands;
};

// The context of a kernel launched by the backend primitive `primitive`: the user's op
// and operands when a front end has named them, else the primitive's own.
CheckContext check_context(const char* primitive, int64_t dim, UserOperand first,
                           UserOperand second);

class DeviceChecks {
 public:
  // Words per slot: the failed check's code, its value (two words), its bound and the
  // position (sample) it was found at.
  static constexpr uint32_t kSlotWords = 8;
  static constexpr uint32_t kSlots = 1024;

  // slots: a host-visible range of kSlots * kSlotWords words.
  DeviceChecks(Allocation* slots, const Device& device);

  Allocation* slots() const { return slots_; }
  // Whether every slot is taken by a dispatch whose submission has not been retired.
  bool full() const { return unread_ >= kSlots; }
  // The oldest submission with a dispatch whose checks are unread.
  uint64_t oldest_unread() const { return oldest().serial; }
  // The slot of the next checked dispatch.
  uint32_t next_slot() const { return static_cast<uint32_t>(next_slot_ % kSlots); }

  // Called for every dispatch, copy and update recorded into submission `serial`; a
  // checked dispatch passes its context and reports into next_slot(), which must not be
  // taken (full() is false).
  void note_uses(std::span<const BufferUse> uses, uint64_t serial, const CheckContext* checked);
  // Reads the slots of the dispatches in submissions up to `serial`, which have finished.
  void resolve(uint64_t serial);
  // The range is freed or wholly overwritten by the host: its marks go.
  void forget(Allocation& allocation) noexcept;

  // Raises the first error found since the last call, once.
  void raise_pending();
  // Raises the error that poisoned the range, if any.
  static void raise_if_poisoned(const Allocation& allocation) {
    if (allocation.poison != nullptr) [[unlikely]]
      throw *allocation.poison;
  }

 private:
  enum class LogKind : uint8_t { Dispatch, Read, Write, Forget };
  struct LogEntry {
    Allocation* allocation;
    LogKind kind;
  };
  // A checked dispatch whose slot is unread; it sits at the index of its slot.
  struct CheckedDispatch {
    uint64_t serial;
    uint64_t log_position;  // of its Dispatch entry
    CheckContext context;
  };

  bool tainted(const Allocation& allocation) const { return allocation.taint > resolved_; }
  uint32_t oldest_slot() const { return static_cast<uint32_t>((next_slot_ - unread_) % kSlots); }
  const CheckedDispatch& oldest() const { return dispatches_[oldest_slot()]; }
  uint64_t log_end() const { return log_base_ + log_.size(); }
  std::shared_ptr<const Error> error_in(uint32_t slot) const;
  void poison_from(uint64_t log_position, const std::shared_ptr<const Error>& error);
  void reserve_log(size_t entries);
  void prune_log();

  Allocation* slots_;
  Device device_;
  uint64_t next_slot_ = 0;
  uint64_t resolved_ = 0;                    // submissions up to this one have had their slots read
  std::vector<CheckedDispatch> dispatches_;  // kSlots, indexed by slot
  uint32_t unread_ = 0;                      // the slots before next_slot() still unread
  // The live entries are log_[log_head_, end); log_[0] is at position log_base_.
  std::vector<LogEntry> log_;
  size_t log_head_ = 0;
  uint64_t log_base_ = 0;
  std::shared_ptr<const Error> pending_;
};

}  // namespace ember::vulkan
