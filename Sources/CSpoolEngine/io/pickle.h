// pickle.h — a restricted reader of Python pickles, for PyTorch's weight files, that never runs code.
//
// torch.save writes a pickle whose tensors point at storages kept outside it (zip records, or the legacy
// format's trailing blobs). This reader builds inert values from the opcodes: dicts, lists, tuples, numbers,
// strings, and for every GLOBAL a named reference that is never imported or called. A REDUCE or NEWOBJ on a
// reference becomes an `Object` holding its arguments and (after BUILD) its state, so that a whole pickled
// nn.Module (Ultralytics' checkpoints) can be walked for its tensors. Tensors are rebuilt only for
// `torch._utils._rebuild_tensor_v2` / `_rebuild_parameter` on storages the caller resolves.
//
// Why not libtorch's own unpickler: torch::pickle_load reads the zip format only, and turns an OrderedDict
// (every state_dict) into None; it cannot read the legacy format at all.
#pragma once

#include <torch/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace spool::pickle {

struct Value;
using ValuePtr = std::shared_ptr<Value>;

/// A storage a persistent id named: its key, element type and element count, and (legacy views) an offset.
struct StorageRef {
    std::string key;
    torch::ScalarType dtype = torch::kFloat32;
    int64_t numel = 0;
    std::string location;
};

struct Value {
    enum class Kind { None, Bool, Int, Float, String, Bytes, Tuple, List, Dict, Global, Object, Storage, Tensor, Mark };
    Kind kind = Kind::None;
    bool b = false;
    int64_t i = 0;
    double f = 0;
    std::string s;                                   // String, Bytes; Global: "module.name"
    std::vector<ValuePtr> items;                     // Tuple, List; Object: the arguments
    std::vector<std::pair<ValuePtr, ValuePtr>> dict; // Dict (in order); Object: its state when a dict
    ValuePtr cls;                                    // Object: the Global it was made from
    ValuePtr state;                                  // Object: BUILD's argument
    StorageRef storage;                              // Storage
    torch::Tensor tensor;                            // Tensor

    bool is(Kind k) const { return kind == k; }
    /// Dict (or Object state) lookup by string key; nullptr when absent.
    ValuePtr get(const std::string& key) const;
};

/// Resolves a storage named by a persistent id to a 1-D tensor of its elements.
using StorageLoader = std::function<torch::Tensor(const StorageRef&)>;

/// Reads one pickle from `data` starting at `*offset` (advanced past its STOP). `file` names errors.
ValuePtr read(const char* data, size_t size, size_t* offset, const StorageLoader& storages, const std::string& file);

/// Every tensor reachable from `root` by state-dict names: a dict of tensors as it is; a pickled nn.Module
/// by its `_parameters`, `_buffers` and `_modules` (dotted names, as `state_dict()` would give).
std::vector<std::pair<std::string, torch::Tensor>> tensors_of(const ValuePtr& root);

}  // namespace spool::pickle
