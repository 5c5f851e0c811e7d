#include "io/pickle.h"

#include <cstring>
#include <stdexcept>
#include <unordered_map>

namespace spool::pickle {
namespace {

using Kind = Value::Kind;

ValuePtr make(Kind kind) {
    auto v = std::make_shared<Value>();
    v->kind = kind;
    return v;
}
ValuePtr make_int(int64_t i) {
    auto v = make(Kind::Int);
    v->i = i;
    return v;
}
ValuePtr make_string(std::string s, Kind kind = Kind::String) {
    auto v = make(kind);
    v->s = std::move(s);
    return v;
}

/// The element type of a legacy typed storage class (`torch.FloatStorage`).
bool storage_dtype(const std::string& name, torch::ScalarType* out) {
    static const std::map<std::string, torch::ScalarType> types = {
        {"torch.FloatStorage", torch::kFloat32},  {"torch.DoubleStorage", torch::kFloat64},
        {"torch.HalfStorage", torch::kFloat16},   {"torch.BFloat16Storage", torch::kBFloat16},
        {"torch.LongStorage", torch::kInt64},     {"torch.IntStorage", torch::kInt32},
        {"torch.ShortStorage", torch::kInt16},    {"torch.CharStorage", torch::kInt8},
        {"torch.ByteStorage", torch::kUInt8},     {"torch.BoolStorage", torch::kBool},
        {"torch.cuda.FloatStorage", torch::kFloat32}, {"torch.cuda.HalfStorage", torch::kFloat16},
        {"torch.cuda.DoubleStorage", torch::kFloat64}, {"torch.cuda.LongStorage", torch::kInt64},
    };
    auto it = types.find(name);
    if (it == types.end()) return false;
    *out = it->second;
    return true;
}

class Reader {
public:
    Reader(const char* data, size_t size, size_t offset, const StorageLoader& storages, const std::string& file)
        : data_(data), size_(size), pos_(offset), storages_(storages), file_(file) {}

    ValuePtr run() {
        while (true) {
            const auto op = static_cast<unsigned char>(byte());
            switch (op) {
            case 0x80: byte(); break;                    // PROTO
            case 0x95: skip(8); break;                   // FRAME
            case '.': return pop();                      // STOP
            case '(': push(make(Kind::Mark)); break;     // MARK
            case ')': push(make(Kind::Tuple)); break;    // EMPTY_TUPLE
            case ']': push(make(Kind::List)); break;     // EMPTY_LIST
            case '}': push(make(Kind::Dict)); break;     // EMPTY_DICT
            case 0x8f: push(make(Kind::List)); break;    // EMPTY_SET (a list will do)
            case 'N': push(make(Kind::None)); break;
            case 0x88: case 0x89: {                      // NEWTRUE, NEWFALSE
                auto v = make(Kind::Bool);
                v->b = op == 0x88;
                push(v);
                break;
            }
            case 'J': push(make_int(static_cast<int32_t>(little(4)))); break;  // BININT
            case 'K': push(make_int(static_cast<int64_t>(little(1)))); break;  // BININT1
            case 'M': push(make_int(static_cast<int64_t>(little(2)))); break;  // BININT2
            case 0x8a: push(long_value(static_cast<size_t>(little(1)))); break;  // LONG1
            case 0x8b: push(long_value(static_cast<size_t>(little(4)))); break;  // LONG4
            case 'I': {                                  // INT (text; "01"/"00" are True/False)
                auto text = line();
                if (text == "01" || text == "00") {
                    auto v = make(Kind::Bool);
                    v->b = text == "01";
                    push(v);
                } else {
                    push(make_int(std::stoll(text)));
                }
                break;
            }
            case 'L': {                                  // LONG (text, trailing L)
                auto text = line();
                if (!text.empty() && text.back() == 'L') text.pop_back();
                push(make_int(std::stoll(text)));
                break;
            }
            case 'G': {                                  // BINFLOAT, big-endian
                uint64_t bits = 0;
                for (int k = 0; k < 8; ++k) bits = (bits << 8) | static_cast<unsigned char>(byte());
                double d;
                std::memcpy(&d, &bits, 8);
                auto v = make(Kind::Float);
                v->f = d;
                push(v);
                break;
            }
            case 'F': {                                  // FLOAT (text)
                auto v = make(Kind::Float);
                v->f = std::stod(line());
                push(v);
                break;
            }
            case 'X': push(make_string(take(little(4)))); break;          // BINUNICODE
            case 0x8c: push(make_string(take(little(1)))); break;         // SHORT_BINUNICODE
            case 0x8d: push(make_string(take(little(8)))); break;         // BINUNICODE8
            case 'T': push(make_string(take(little(4)))); break;          // BINSTRING
            case 'U': push(make_string(take(little(1)))); break;          // SHORT_BINSTRING
            case 'B': push(make_string(take(little(4)), Kind::Bytes)); break;   // BINBYTES
            case 'C': push(make_string(take(little(1)), Kind::Bytes)); break;   // SHORT_BINBYTES
            case 0x8e: push(make_string(take(little(8)), Kind::Bytes)); break;  // BINBYTES8
            case 'V': push(make_string(line())); break;                   // UNICODE (raw text)
            case 't': push(tuple_from(pop_to_mark())); break;             // TUPLE
            case 0x85: { auto a = pop(); push(tuple_from({a})); break; }  // TUPLE1
            case 0x86: { auto b = pop(), a = pop(); push(tuple_from({a, b})); break; }
            case 0x87: { auto c = pop(), b = pop(), a = pop(); push(tuple_from({a, b, c})); break; }
            case 'l': {                                  // LIST
                auto v = make(Kind::List);
                v->items = pop_to_mark();
                push(v);
                break;
            }
            case 'a': { auto x = pop(); list_top()->items.push_back(x); break; }  // APPEND
            case 'e': case 0x90: {                       // APPENDS, ADDITEMS
                auto xs = pop_to_mark();
                auto l = list_top();
                l->items.insert(l->items.end(), xs.begin(), xs.end());
                break;
            }
            case 'd': {                                  // DICT
                auto xs = pop_to_mark();
                auto v = make(Kind::Dict);
                for (size_t k = 0; k + 1 < xs.size(); k += 2) v->dict.emplace_back(xs[k], xs[k + 1]);
                push(v);
                break;
            }
            case 's': { auto val = pop(), key = pop(); set_item(top(), key, val); break; }  // SETITEM
            case 'u': {                                  // SETITEMS
                auto xs = pop_to_mark();
                auto d = top();
                for (size_t k = 0; k + 1 < xs.size(); k += 2) set_item(d, xs[k], xs[k + 1]);
                break;
            }
            case 'c': {                                  // GLOBAL module\nname\n
                auto module = line();
                auto name = line();
                push(make_string(module + "." + name, Kind::Global));
                break;
            }
            case 0x93: {                                 // STACK_GLOBAL
                auto name = pop(), module = pop();
                push(make_string(module->s + "." + name->s, Kind::Global));
                break;
            }
            case 'R': { auto args = pop(), fn = pop(); push(call(fn, args)); break; }      // REDUCE
            case 0x81: { auto args = pop(), cls = pop(); push(call(cls, args)); break; }   // NEWOBJ
            case 0x92: { pop(); auto args = pop(), cls = pop(); push(call(cls, args)); break; }  // NEWOBJ_EX
            case 'b': { auto state = pop(); build(top(), state); break; }                 // BUILD
            case 'Q': { auto pid = pop(); push(persistent(pid)); break; }                  // BINPERSID
            case 'P': { push(persistent(tuple_from({make_string(line())}))); break; }      // PERSID
            case 'q': memo_[little(1)] = top(); break;   // BINPUT
            case 'r': memo_[little(4)] = top(); break;   // LONG_BINPUT
            case 'p': memo_[std::stoull(line())] = top(); break;  // PUT
            case 0x94: memo_[memo_.size()] = top(); break;        // MEMOIZE
            case 'h': push(memo(little(1))); break;      // BINGET
            case 'j': push(memo(little(4))); break;      // LONG_BINGET
            case 'g': push(memo(std::stoull(line()))); break;     // GET
            case '0': pop(); break;                      // POP
            case '1': pop_to_mark(); break;              // POP_MARK
            case '2': push(top()); break;                // DUP
            default:
                fail("unsupported pickle opcode 0x" + hex(op));
            }
        }
    }

    size_t position() const { return pos_; }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw std::runtime_error(file_ + ": not a PyTorch weights file Spool can read (" + what + " at byte " +
                                 std::to_string(pos_) + ")");
    }
    static std::string hex(unsigned v) {
        const char* d = "0123456789abcdef";
        return std::string{d[(v >> 4) & 15], d[v & 15]};
    }
    char byte() {
        if (pos_ >= size_) fail("the pickle ends early");
        return data_[pos_++];
    }
    void skip(size_t n) {
        if (n > size_ - pos_) fail("the pickle ends early");
        pos_ += n;
    }
    uint64_t little(size_t n) {
        if (n > size_ - pos_) fail("the pickle ends early");
        uint64_t v = 0;
        for (size_t k = 0; k < n; ++k) v |= static_cast<uint64_t>(static_cast<unsigned char>(data_[pos_ + k])) << (8 * k);
        pos_ += n;
        return v;
    }
    /// LONG1/LONG4: little-endian two's complement. Wider than 64 bits (the legacy format's magic number)
    /// keeps its bytes in `s` and its low 64 bits in `i`.
    ValuePtr long_value(size_t n) {
        if (n > size_ - pos_) fail("the pickle ends early");
        if (n > 8) {
            auto v = make(Kind::Int);
            v->s.assign(data_ + pos_, n);
            v->i = static_cast<int64_t>(little(8));
            pos_ += n - 8;
            return v;
        }
        if (n == 0) return make_int(0);
        uint64_t v = little(n);
        if (n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);  // sign-extend
        return make_int(static_cast<int64_t>(v));
    }
    std::string take(uint64_t n) {
        if (n > size_ - pos_) fail("a string runs past the end");
        std::string s(data_ + pos_, n);
        pos_ += n;
        return s;
    }
    std::string line() {
        std::string s;
        while (true) {
            char c = byte();
            if (c == '\n') break;
            s.push_back(c);
        }
        if (!s.empty() && s.back() == '\r') s.pop_back();
        return s;
    }

    void push(ValuePtr v) { stack_.push_back(std::move(v)); }
    ValuePtr pop() {
        if (stack_.empty()) fail("an empty stack");
        auto v = stack_.back();
        stack_.pop_back();
        return v;
    }
    ValuePtr top() {
        if (stack_.empty()) fail("an empty stack");
        return stack_.back();
    }
    std::vector<ValuePtr> pop_to_mark() {
        std::vector<ValuePtr> items;
        while (true) {
            auto v = pop();
            if (v->is(Kind::Mark)) break;
            items.push_back(v);
        }
        return {items.rbegin(), items.rend()};
    }
    ValuePtr list_top() {
        auto l = top();
        if (!l->is(Kind::List)) fail("APPEND to something that is not a list");
        return l;
    }
    ValuePtr memo(uint64_t key) {
        auto it = memo_.find(key);
        if (it == memo_.end()) fail("a reference to an unknown memo entry");
        return it->second;
    }
    static ValuePtr tuple_from(std::vector<ValuePtr> items) {
        auto v = make(Kind::Tuple);
        v->items = std::move(items);
        return v;
    }
    void set_item(const ValuePtr& target, ValuePtr key, ValuePtr value) {
        if (target->is(Kind::Dict)) {
            target->dict.emplace_back(std::move(key), std::move(value));
        } else if (target->is(Kind::Object)) {  // a dict subclass (OrderedDict of a module)
            target->dict.emplace_back(std::move(key), std::move(value));
        } else {
            fail("SETITEM on something that is not a dict");
        }
    }

    /// REDUCE / NEWOBJ: tensors are rebuilt; OrderedDict becomes a dict; anything else an inert Object.
    ValuePtr call(const ValuePtr& fn, const ValuePtr& args) {
        const std::string name = fn->is(Kind::Global) ? fn->s : "";
        const auto& a = args->items;
        if (name == "collections.OrderedDict" || name == "builtins.dict" || name == "__builtin__.dict") {
            auto d = make(Kind::Dict);
            if (!a.empty() && (a[0]->is(Kind::List) || a[0]->is(Kind::Tuple)))
                for (const auto& pair : a[0]->items)
                    if (pair->items.size() == 2) d->dict.emplace_back(pair->items[0], pair->items[1]);
            return d;
        }
        if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
            if (a.size() < 4 || !a[0]->is(Kind::Tensor)) fail(name + " without a storage");
            auto sizes = ints(a[2]), strides = ints(a[3]);
            auto v = make(Kind::Tensor);
            const auto& base = a[0]->tensor;
            v->tensor = base.as_strided(sizes, strides, base.storage_offset() + a[1]->i);
            return v;
        }
        if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state" ||
            name == "torch.nn.parameter.Parameter") {
            if (a.empty() || !a[0]->is(Kind::Tensor)) fail(name + " without a tensor");
            return a[0];
        }
        if (name == "_codecs.encode") {  // bytes pickled by protocol 2 under Python 3
            return make_string(a.empty() ? "" : a[0]->s, Kind::Bytes);
        }
        auto v = make(Kind::Object);
        v->cls = fn;
        v->items = a;
        return v;
    }

    void build(const ValuePtr& target, const ValuePtr& state) {
        if (target->is(Kind::Object)) {
            target->state = state;
        }
        // A dict's BUILD carries attributes (a state_dict's `_metadata`): not tensors, ignored.
    }

    static std::vector<int64_t> ints(const ValuePtr& v) {
        std::vector<int64_t> out;
        for (const auto& x : v->items) out.push_back(x->i);
        return out;
    }

    /// ('storage', StorageClass, key, location, numel[, view_metadata]) -> a 1-D tensor over the storage.
    ValuePtr persistent(const ValuePtr& pid) {
        const auto& p = pid->items;
        if (p.size() < 5 || !p[0]->is(Kind::String) || p[0]->s != "storage")
            fail("a persistent id that is not a storage");
        StorageRef ref;
        const std::string type = p[1]->is(Kind::Global) ? p[1]->s : "";
        if (!storage_dtype(type, &ref.dtype)) fail("a storage of type '" + type + "'");
        ref.key = p[2]->is(Kind::String) ? p[2]->s : std::to_string(p[2]->i);
        ref.location = p[3]->s;
        ref.numel = p[4]->i;
        auto it = cache_.find(ref.key);
        torch::Tensor storage = it != cache_.end() ? it->second : storages_(ref);
        cache_[ref.key] = storage;
        if (p.size() > 5 && p[5]->is(Kind::Tuple) && p[5]->items.size() == 3) {  // legacy view of a storage
            storage = storage.narrow(0, p[5]->items[1]->i, p[5]->items[2]->i);
        }
        auto v = make(Kind::Tensor);
        v->tensor = storage;
        return v;
    }

    const char* data_;
    size_t size_;
    size_t pos_;
    const StorageLoader& storages_;
    std::string file_;
    std::vector<ValuePtr> stack_;
    std::unordered_map<uint64_t, ValuePtr> memo_;
    std::map<std::string, torch::Tensor> cache_;
};

std::string key_text(const ValuePtr& k) {
    if (k->is(Kind::String)) return k->s;
    if (k->is(Kind::Int)) return std::to_string(k->i);
    return "";
}

void collect_module(const ValuePtr& module, const std::string& prefix,
                    std::vector<std::pair<std::string, torch::Tensor>>* out, int depth) {
    if (depth > 64 || !module) return;
    const ValuePtr state = module->is(Kind::Object) ? module->state : module;
    if (!state || !state->is(Kind::Dict)) return;
    for (const char* field : {"_parameters", "_buffers"}) {
        auto table = state->get(field);
        if (!table || !table->is(Kind::Dict)) continue;
        for (const auto& [k, v] : table->dict)
            if (v && v->is(Kind::Tensor)) out->emplace_back(prefix + key_text(k), v->tensor);
    }
    if (auto children = state->get("_modules"); children && children->is(Kind::Dict))
        for (const auto& [k, v] : children->dict) collect_module(v, prefix + key_text(k) + ".", out, depth + 1);
}

}  // namespace

ValuePtr Value::get(const std::string& key) const {
    for (const auto& [k, v] : dict)
        if (k && k->is(Kind::String) && k->s == key) return v;
    return nullptr;
}

ValuePtr read(const char* data, size_t size, size_t* offset, const StorageLoader& storages, const std::string& file) {
    Reader reader(data, size, *offset, storages, file);
    auto v = reader.run();
    *offset = reader.position();
    return v;
}

std::vector<std::pair<std::string, torch::Tensor>> tensors_of(const ValuePtr& root) {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    if (!root) return out;
    if (root->is(Kind::Dict)) {
        bool all_tensors = !root->dict.empty();
        for (const auto& [k, v] : root->dict) all_tensors = all_tensors && v && v->is(Kind::Tensor) && k->is(Kind::String);
        if (all_tensors) {
            for (const auto& [k, v] : root->dict) out.emplace_back(k->s, v->tensor);
            return out;
        }
        // A checkpoint wrapping the weights: the usual keys, in the order trainers use them.
        for (const char* key : {"state_dict", "model_state_dict", "model", "module", "ema", "net", "weights"}) {
            auto inner = root->get(key);
            if (inner && !inner->is(Kind::None)) {
                auto found = tensors_of(inner);
                if (!found.empty()) return found;
            }
        }
        return out;
    }
    if (root->is(Kind::Object)) collect_module(root, "", &out, 0);
    return out;
}

}  // namespace spool::pickle
