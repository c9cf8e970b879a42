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
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>

#include "backend/vulkan/allocator.h"
#include "ember/error.h"
#include "ember/tensor.h"

namespace ember::vulkan {

struct CheckedOperand {
  const char* name;
  Shape shape;
};

// What the message of an error found by a checked dispatch names.
struct CheckContext {
  const char* op;
  int64_t dim;  // the indexed dimension (index checks)
  std::array<CheckedOperand, 2> operands;
};

// The context of a kernel launched by the backend primitive `primitive`: the user's op
// and operands when a front end has named them, else the primitive's own.
CheckContext check_context(const char* primitive, int64_t dim, CheckedOperand first,
                           CheckedOperand second);

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
  bool full() const { return dispatches_.size() >= kSlots; }
  // The oldest submission with a dispatch whose checks are unread.
  uint64_t oldest_unread() const { return dispatches_.front().serial; }
  // The slot of the next checked dispatch.
  uint32_t next_slot() const { return static_cast<uint32_t>(next_slot_ % kSlots); }

  // Called for every dispatch, copy and update recorded into submission `serial`; a
  // checked dispatch passes its context (taken) and reports into next_slot().
  void note_uses(std::span<const BufferUse> uses, uint64_t serial, CheckContext* checked);
  // Reads the slots of the dispatches in submissions up to `serial`, which have finished.
  void resolve(uint64_t serial);
  // The range is freed or wholly overwritten by the host: its marks go.
  void forget(Allocation& allocation);

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
  struct CheckedDispatch {
    uint64_t serial;
    uint32_t slot;
    uint64_t log_position;  // of its Dispatch entry
    CheckContext context;
  };

  bool tainted(const Allocation& allocation) const { return allocation.taint > resolved_; }
  std::shared_ptr<const Error> error_in(const CheckedDispatch& dispatch) const;
  void poison_from(uint64_t log_position, const std::shared_ptr<const Error>& error);
  void prune_log();

  Allocation* slots_;
  Device device_;
  uint64_t next_slot_ = 0;
  uint64_t resolved_ = 0;  // submissions up to this one have had their slots read
  std::deque<CheckedDispatch> dispatches_;
  std::deque<LogEntry> log_;
  uint64_t log_start_ = 0;  // the position of log_.front()
  std::shared_ptr<const Error> pending_;
};

}  // namespace ember::vulkan
