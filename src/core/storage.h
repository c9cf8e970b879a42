// A block of memory on a device. The backend that allocated it frees it.
#pragma once

#include <cstddef>

#include "ember/device.h"

namespace ember {

class Storage {
 public:
  // Called with (data, nbytes, context) when the storage dies.
  using Deleter = void (*)(void* data, size_t nbytes, void* context);

  Storage(Device device, size_t nbytes, void* data, Deleter deleter, void* context)
      : device_(device), nbytes_(nbytes), data_(data), deleter_(deleter), context_(context) {}
  ~Storage() {
    if (deleter_ != nullptr) deleter_(data_, nbytes_, context_);
  }
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  const Device& device() const { return device_; }
  size_t nbytes() const { return nbytes_; }
  // Host address on the CPU; an opaque buffer handle on other backends.
  void* data() const { return data_; }

 private:
  Device device_;
  size_t nbytes_;
  void* data_;
  Deleter deleter_;
  void* context_;
};

}  // namespace ember
