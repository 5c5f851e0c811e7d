// weights_file.h — reads a weight file as the reference libraries ship them, into named CPU tensors.
//
// Formats: safetensors (timm, Hugging Face, Spool's own), PyTorch's zip format (torch.save since 1.6:
// torchvision's newer .pth, timm's .bin), and PyTorch's legacy format (torchvision's older .pth, e.g.
// mobilenet_v2-b0353104.pth). A state dict may be an OrderedDict, sit under `state_dict`/`model`/`ema`, or
// be a whole pickled nn.Module (Ultralytics); "module."/"model." prefixes of wrappers are stripped.
#pragma once

#include <torch/types.h>

#include <map>
#include <string>

namespace spool {

/// Which format a file is in, from its first bytes.
enum class WeightsFormat { Safetensors, TorchZip, TorchLegacy, Unknown };
WeightsFormat detect_weights_format(const std::string& path);
const char* weights_format_name(WeightsFormat format);

/// Every tensor of the file, by state-dict name. Throws WeightsError naming the file and what is wrong.
std::map<std::string, torch::Tensor> read_weights(const std::string& path);

/// A weights file that cannot be read or does not fit a model.
struct WeightsError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Weights that fit the model but for the head's size (another number of classes).
struct HeadShapeError : WeightsError {
    using WeightsError::WeightsError;
};

}  // namespace spool
