// Precompiled header of the translation units that use LibTorch.
#pragma once
#include <torch/torch.h>
