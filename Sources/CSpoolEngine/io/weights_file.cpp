#include "io/weights_file.h"

#include "io/pickle.h"
#include "io/safetensors.h"

#include <caffe2/serialize/inline_container.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace spool {
namespace {

std::vector<char> read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw WeightsError(path + ": cannot open the weights file (" + std::strerror(errno) + ")");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::map<std::string, torch::Tensor> to_map(const std::string& path,
                                            std::vector<std::pair<std::string, torch::Tensor>> list) {
    if (list.empty())
        throw WeightsError(path + ": holds no tensors under state-dict names (expected a state_dict, a checkpoint "
                                  "with one under 'state_dict' or 'model', or a pickled model)");
    std::map<std::string, torch::Tensor> tensors;
    for (auto& [name, tensor] : list) tensors[name] = tensor;
    return tensors;
}

/// torch.save's zip format: `ARCHIVE/data.pkl` with storages in `ARCHIVE/data/KEY`.
std::map<std::string, torch::Tensor> read_zip(const std::string& path) {
    std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
    try {
        reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
    } catch (const c10::Error& e) {
        throw WeightsError(path + ": a zip file, but not one torch.save wrote (" + e.what_without_backtrace() + ")");
    }
    if (!reader->hasRecord("data.pkl"))
        throw WeightsError(path + ": a zip file without data.pkl: a TorchScript or other archive, not torch.save's");
    auto [pickle_data, pickle_size] = reader->getRecord("data.pkl");
    auto loader = [&](const pickle::StorageRef& ref) {
        const std::string record = "data/" + ref.key;
        if (!reader->hasRecord(record)) throw WeightsError(path + ": storage " + record + " is missing");
        auto [data, size] = reader->getRecord(record);
        const auto element = c10::elementSize(ref.dtype);
        auto t = torch::empty({static_cast<int64_t>(size / element)}, torch::TensorOptions().dtype(ref.dtype));
        std::memcpy(t.data_ptr(), data.get(), (size / element) * element);
        return t;
    };
    size_t offset = 0;
    auto root = pickle::read(static_cast<const char*>(pickle_data.get()), pickle_size, &offset, loader, path);
    return to_map(path, pickle::tensors_of(root));
}

/// The legacy format (before PyTorch 1.6): pickles of a magic number, the protocol version and system info,
/// then the object, then the list of storage keys, then each storage as an 8-byte element count and its bytes.
std::map<std::string, torch::Tensor> read_legacy(const std::string& path) {
    auto bytes = read_all(path);
    std::map<std::string, torch::Tensor> storages;
    auto loader = [&](const pickle::StorageRef& ref) {
        auto t = torch::empty({ref.numel}, torch::TensorOptions().dtype(ref.dtype));
        storages[ref.key] = t;
        return t;
    };
    auto none = [&](const pickle::StorageRef&) -> torch::Tensor {
        throw WeightsError(path + ": a storage outside the object pickle");
    };
    size_t offset = 0;
    auto magic = pickle::read(bytes.data(), bytes.size(), &offset, none, path);
    // The magic number 0x1950a86a20f9469cfc6c, little-endian, as LONG1 writes it.
    static const unsigned char kMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
    if (!magic->is(pickle::Value::Kind::Int) || magic->s != std::string(reinterpret_cast<const char*>(kMagic), 10))
        throw WeightsError(path + ": a Python pickle, but not a file torch.save wrote (no PyTorch magic number)");
    pickle::read(bytes.data(), bytes.size(), &offset, none, path);  // protocol version (1001)
    pickle::read(bytes.data(), bytes.size(), &offset, none, path);  // sys_info
    auto root = pickle::read(bytes.data(), bytes.size(), &offset, loader, path);
    auto keys = pickle::read(bytes.data(), bytes.size(), &offset, none, path);
    for (const auto& key : keys->items) {
        const std::string name = key->is(pickle::Value::Kind::String) ? key->s : std::to_string(key->i);
        if (offset + 8 > bytes.size()) throw WeightsError(path + ": the file ends before storage " + name);
        int64_t count = 0;
        for (int k = 7; k >= 0; --k) count = (count << 8) | static_cast<unsigned char>(bytes[offset + k]);
        offset += 8;
        auto it = storages.find(name);
        if (it == storages.end()) throw WeightsError(path + ": storage " + name + " is not used by the object");
        const size_t size = static_cast<size_t>(count) * it->second.element_size();
        if (count != it->second.numel() || offset + size > bytes.size())
            throw WeightsError(path + ": storage " + name + " does not fit the file (truncated?)");
        std::memcpy(it->second.data_ptr(), bytes.data() + offset, size);
        offset += size;
    }
    return to_map(path, pickle::tensors_of(root));
}

}  // namespace

WeightsFormat detect_weights_format(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw WeightsError(path + ": cannot open the weights file (" + std::strerror(errno) + ")");
    unsigned char head[16] = {0};
    in.read(reinterpret_cast<char*>(head), sizeof head);
    const auto got = in.gcount();
    if (got >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) return WeightsFormat::TorchZip;
    if (got >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5) return WeightsFormat::TorchLegacy;
    if (got >= 9) {
        uint64_t len = 0;
        for (int i = 7; i >= 0; --i) len = (len << 8) | head[i];
        if (len < (100u << 20) && head[8] == '{') return WeightsFormat::Safetensors;
    }
    return WeightsFormat::Unknown;
}

const char* weights_format_name(WeightsFormat format) {
    switch (format) {
    case WeightsFormat::Safetensors: return "safetensors";
    case WeightsFormat::TorchZip: return "PyTorch (zip)";
    case WeightsFormat::TorchLegacy: return "PyTorch (legacy)";
    case WeightsFormat::Unknown: return "unknown";
    }
    return "unknown";
}

std::map<std::string, torch::Tensor> read_weights(const std::string& path) {
    std::map<std::string, torch::Tensor> tensors;
    switch (detect_weights_format(path)) {
    case WeightsFormat::TorchZip: tensors = read_zip(path); break;
    case WeightsFormat::TorchLegacy: tensors = read_legacy(path); break;
    case WeightsFormat::Safetensors:
        try {
            for (auto& [name, tensor] : read_safetensors(path).tensors) tensors[name] = tensor;
        } catch (const std::runtime_error& e) {
            throw WeightsError(e.what());
        }
        break;
    case WeightsFormat::Unknown:
        throw WeightsError(path + ": not a weights file Spool reads (safetensors, or PyTorch's .pth/.pt/.bin as "
                                  "torch.save writes them)");
    }
    return tensors;
}

}  // namespace spool
