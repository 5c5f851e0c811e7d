#include "io/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cstring>
#include <fstream>
#include <stdexcept>

namespace spool {
namespace {

struct DtypeInfo {
    const char* name;
    torch::ScalarType type;
};

const DtypeInfo kDtypes[] = {
    {"F32", torch::kFloat32}, {"F16", torch::kFloat16}, {"BF16", torch::kBFloat16}, {"F64", torch::kFloat64},
    {"I64", torch::kInt64},   {"I32", torch::kInt32},   {"I16", torch::kInt16},     {"I8", torch::kInt8},
    {"U8", torch::kUInt8},    {"BOOL", torch::kBool},
};

torch::ScalarType dtype_from_name(const std::string& name, const std::string& path, const std::string& key) {
    for (const auto& d : kDtypes)
        if (name == d.name) return d.type;
    throw std::runtime_error(path + ": tensor '" + key + "' has dtype " + name +
                             ", which Spool cannot read (F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL)");
}

const char* dtype_name(torch::ScalarType type) {
    for (const auto& d : kDtypes)
        if (type == d.type) return d.name;
    throw std::runtime_error(std::string("cannot write dtype ") + c10::toString(type) + " to safetensors");
}

}  // namespace

NamedTensors read_safetensors(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open for reading (" + std::strerror(errno) + ")");
    in.seekg(0, std::ios::end);
    const auto file_size = static_cast<uint64_t>(in.tellg());
    in.seekg(0);
    uint64_t header_len = 0;
    unsigned char len_bytes[8];
    if (file_size < 8 || !in.read(reinterpret_cast<char*>(len_bytes), 8))
        throw std::runtime_error(path + ": not a safetensors file (shorter than its 8-byte header length)");
    for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
    if (header_len > file_size - 8 || header_len > (100u << 20))
        throw std::runtime_error(path + ": not a safetensors file (header length " + std::to_string(header_len) +
                                 " does not fit the file)");
    std::string header(header_len, '\0');
    in.read(header.data(), static_cast<std::streamsize>(header_len));
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(header);
    } catch (const std::exception& e) {
        throw std::runtime_error(path + ": safetensors header is not valid JSON: " + e.what());
    }
    const uint64_t data_start = 8 + header_len;
    const uint64_t data_size = file_size - data_start;

    // Order tensors by their offset so the file is read front to back.
    struct Entry {
        std::string name;
        torch::ScalarType type;
        std::vector<int64_t> shape;
        uint64_t begin, end;
    };
    std::vector<Entry> entries;
    NamedTensors result;
    for (auto it = doc.begin(); it != doc.end(); ++it) {
        if (it.key() == "__metadata__") {
            for (auto m = it.value().begin(); m != it.value().end(); ++m)
                if (m.value().is_string()) result.metadata[m.key()] = m.value().get<std::string>();
            continue;
        }
        const auto& v = it.value();
        Entry e;
        e.name = it.key();
        e.type = dtype_from_name(v.at("dtype").get<std::string>(), path, e.name);
        e.shape = v.at("shape").get<std::vector<int64_t>>();
        auto offsets = v.at("data_offsets").get<std::vector<uint64_t>>();
        if (offsets.size() != 2 || offsets[0] > offsets[1] || offsets[1] > data_size)
            throw std::runtime_error(path + ": tensor '" + e.name + "' has data offsets outside the file");
        e.begin = offsets[0];
        e.end = offsets[1];
        int64_t numel = 1;
        for (auto d : e.shape) numel *= d;
        if (static_cast<uint64_t>(numel) * c10::elementSize(e.type) != e.end - e.begin)
            throw std::runtime_error(path + ": tensor '" + e.name + "' has " + std::to_string(e.end - e.begin) +
                                     " bytes, which does not match its shape and dtype");
        entries.push_back(std::move(e));
    }
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.begin < b.begin; });
    for (const auto& e : entries) {
        auto t = torch::empty(e.shape, torch::TensorOptions().dtype(e.type));
        in.seekg(static_cast<std::streamoff>(data_start + e.begin));
        if (!in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(e.end - e.begin)))
            throw std::runtime_error(path + ": file ends inside tensor '" + e.name + "'");
        result.tensors.emplace_back(e.name, std::move(t));
    }
    return result;
}

void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
    nlohmann::json header = nlohmann::json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::vector<torch::Tensor> data;
    uint64_t offset = 0;
    for (const auto& [name, tensor] : tensors) {
        auto t = tensor.detach().to(torch::kCPU).contiguous();
        const uint64_t bytes = static_cast<uint64_t>(t.numel()) * t.element_size();
        header[name] = {{"dtype", dtype_name(t.scalar_type())},
                        {"shape", t.sizes().vec()},
                        {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
        data.push_back(std::move(t));
    }
    std::string text = header.dump();
    while ((text.size() + 8) % 8 != 0) text.push_back(' ');  // keep tensor data 8-byte aligned
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw std::runtime_error(path + ": cannot open for writing (" + std::strerror(errno) + ")");
        uint64_t len = text.size();
        unsigned char len_bytes[8];
        for (int i = 0; i < 8; ++i) len_bytes[i] = static_cast<unsigned char>((len >> (8 * i)) & 0xff);
        out.write(reinterpret_cast<const char*>(len_bytes), 8);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        for (const auto& t : data)
            out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.numel() * t.element_size()));
        out.flush();
        if (!out) throw std::runtime_error(path + ": write failed (disk full?)");
    }
    // On disk before it takes the name: a crash or power cut leaves the old file or the new one, never a torn one.
    const int fd = ::open(tmp.c_str(), O_RDONLY);
    if (fd < 0 || ::fsync(fd) != 0) {
        const std::string why = std::strerror(errno);
        if (fd >= 0) ::close(fd);
        throw std::runtime_error(path + ": cannot flush the file to disk (" + why + ")");
    }
    ::close(fd);
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
        throw std::runtime_error(path + ": cannot rename the finished file into place (" + std::strerror(errno) + ")");
}

}  // namespace spool
