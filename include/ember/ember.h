// Ember: tensors, automatic differentiation and neural-network training on the CPU and
// on any GPU through Vulkan. Include this one header.
#pragma once

#include "ember/amp.h"
#include "ember/autograd.h"
#include "ember/data/dataset.h"
#include "ember/data/idx.h"
#include "ember/device.h"
#include "ember/dtype.h"
#include "ember/error.h"
#include "ember/io/file.h"
#include "ember/io/safetensors.h"
#include "ember/nn/functional.h"
#include "ember/nn/init.h"
#include "ember/nn/layers.h"
#include "ember/nn/module.h"
#include "ember/ops.h"
#include "ember/optim/optimizer.h"
#include "ember/optim/schedule.h"
#include "ember/random.h"
#include "ember/scalar.h"
#include "ember/tensor.h"
