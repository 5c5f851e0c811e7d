// safetensors.h — reading and writing the safetensors format (a JSON header, then raw little-endian data).
// Format: https://github.com/huggingface/safetensors — 8-byte header length, JSON {name: {dtype, shape,
// data_offsets}}, optional "__metadata__" of strings, then the tensor bytes.
#pragma once

#include <torch/types.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace spool {

struct NamedTensors {
    std::vector<std::pair<std::string, torch::Tensor>> tensors;  // in file order
    std::map<std::string, std::string> metadata;
};

/// Reads every tensor of a safetensors file onto the CPU; throws std::runtime_error naming the file.
NamedTensors read_safetensors(const std::string& path);

/// Writes the tensors (moved to the CPU, made contiguous) with optional string metadata.
void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace spool
