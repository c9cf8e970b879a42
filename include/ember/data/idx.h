// The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): two zero
// bytes, a type code, the number of dims, each dim as a big-endian u32, then the values.
#pragma once

#include <string>

#include "ember/tensor.h"

namespace ember::data {

// Reads an IDX file, gzip-compressed or not, into a CPU tensor: unsigned bytes as uint8,
// signed bytes, shorts and ints as int32, floats as float32, doubles as float64. A bad
// magic number, a truncated file or trailing bytes raise ember::Error naming the file.
Tensor read_idx(const std::string& path);

}  // namespace ember::data
