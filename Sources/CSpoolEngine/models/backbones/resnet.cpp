// resnet.cpp — torchvision ResNet-18/34/50/101/152 and timm seresnext50_32x4d.
//
// timm's ResNet keeps torchvision's names (conv1, bn1, layer1..layer4, downsample.0/.1, fc) and its
// "ResNet-B" layout (stride on the 3x3 conv, 1x1 strided projection shortcut), so one implementation serves
// both: SE-ResNeXt is the bottleneck with 32 groups of width 4 and a squeeze-excite module (`se.fc1`,
// `se.fc2`) applied to the residual branch after bn3, before the shortcut is added.
//
// Differences kept from the references:
//   - torchvision: BN weight 1 / bias 0, nothing zero-initialised (zero_init_residual=False).
//   - timm: zero_init_last=True, so every bottleneck's bn3.weight starts at 0; SE convs have a bias.
//   - both: every Conv2d weight kaiming-normal (fan_out, ReLU gain); fc keeps the default Linear init.
#include "models/layers/sync_batch_norm.h"
#include "models/backbones/backbones.h"
#include "models/layers/frozen_batch_norm.h"
#include "models/layers/squeeze_excite.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <array>
#include <stdexcept>

namespace spool {
namespace {

namespace nn = torch::nn;

nn::Conv2d conv2d(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t groups = 1,
                  bool bias = false) {
    return nn::Conv2d(
        nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).groups(groups).bias(bias));
}

SyncBatchNorm2d batch_norm(int64_t channels) {
    return SyncBatchNorm2d(nn::BatchNorm2dOptions(channels).eps(1e-5).momentum(0.1));
}

// The normalisation layer: trainable BatchNorm2d, or FrozenBatchNorm2d in a detector's pretrained backbone.
nn::AnyModule norm_layer(int64_t channels, bool frozen) {
    return frozen ? nn::AnyModule(FrozenBatchNorm2d(channels)) : nn::AnyModule(batch_norm(channels));
}

// How the blocks of one network are built.
struct BlockOptions {
    int64_t groups = 1;         // cardinality of the 3x3 conv (bottleneck only)
    int64_t base_width = 64;    // bottleneck width per group at planes=64
    bool squeeze_excite = false;
    bool frozen_batch_norm = false;
};

// Shortcut projection when the block changes resolution or width: 1x1 conv (strided) + BN.
nn::Sequential projection(int64_t in, int64_t out, int64_t stride, bool frozen) {
    nn::Sequential seq;
    seq->push_back(conv2d(in, out, 1, stride));
    seq->push_back(norm_layer(out, frozen));
    return seq;
}

// Two 3x3 convs (ResNet-18/34).
struct BasicBlockImpl : nn::Module {
    static constexpr int64_t expansion = 1;
    nn::Conv2d conv1{nullptr}, conv2{nullptr};
    nn::AnyModule bn1, bn2;
    nn::Sequential downsample{nullptr};

    BasicBlockImpl(int64_t inplanes, int64_t planes, int64_t stride, const BlockOptions& opt) {
        conv1 = register_module("conv1", conv2d(inplanes, planes, 3, stride));
        bn1 = norm_layer(planes, opt.frozen_batch_norm);
        register_module("bn1", bn1.ptr());
        conv2 = register_module("conv2", conv2d(planes, planes, 3));
        bn2 = norm_layer(planes, opt.frozen_batch_norm);
        register_module("bn2", bn2.ptr());
        if (stride != 1 || inplanes != planes * expansion)
            downsample = register_module("downsample", projection(inplanes, planes * expansion, stride, opt.frozen_batch_norm));
    }

    torch::Tensor forward(const torch::Tensor& x) {
        auto out = torch::relu(bn1.forward(conv1(x)));
        out = bn2.forward(conv2(out));
        return torch::relu(out + (downsample ? downsample->forward(x) : x));
    }
};
TORCH_MODULE(BasicBlock);

// 1x1 reduce, 3x3 (strided, grouped), 1x1 expand by 4, optional squeeze-excite (ResNet-50+, SE-ResNeXt).
struct BottleneckImpl : nn::Module {
    static constexpr int64_t expansion = 4;
    nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
    nn::AnyModule bn1, bn2, bn3;
    SqueezeExcite se{nullptr};
    nn::Sequential downsample{nullptr};

    BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride, const BlockOptions& opt) {
        const int64_t width = planes * opt.base_width / 64 * opt.groups;
        const int64_t outplanes = planes * expansion;
        conv1 = register_module("conv1", conv2d(inplanes, width, 1));
        bn1 = norm_layer(width, opt.frozen_batch_norm);
        register_module("bn1", bn1.ptr());
        conv2 = register_module("conv2", conv2d(width, width, 3, stride, opt.groups));
        bn2 = norm_layer(width, opt.frozen_batch_norm);
        register_module("bn2", bn2.ptr());
        conv3 = register_module("conv3", conv2d(width, outplanes, 1));
        bn3 = norm_layer(outplanes, opt.frozen_batch_norm);
        register_module("bn3", bn3.ptr());
        if (opt.squeeze_excite) se = register_module("se", SqueezeExcite(outplanes));
        if (stride != 1 || inplanes != outplanes)
            downsample = register_module("downsample", projection(inplanes, outplanes, stride, opt.frozen_batch_norm));
    }

    torch::Tensor forward(const torch::Tensor& x) {
        auto out = torch::relu(bn1.forward(conv1(x)));
        out = torch::relu(bn2.forward(conv2(out)));
        out = bn3.forward(conv3(out));
        if (se) out = se(out);
        return torch::relu(out + (downsample ? downsample->forward(x) : x));
    }
};
TORCH_MODULE(Bottleneck);

enum class BlockKind { basic, bottleneck };

struct ResNetSpec {
    BlockKind block;
    std::array<int64_t, 4> blocks;  // blocks in layer1..layer4
    BlockOptions options;
    bool zero_init_last;  // zero the last BN weight of every residual branch (timm's default)
};

// Configurations. Legend: depth, block kind, blocks per stage (layer1, layer2, layer3, layer4).
struct DepthEntry {
    int depth;
    BlockKind block;
    std::array<int64_t, 4> blocks;
};
const DepthEntry kTorchvisionDepths[] = {
    {18, BlockKind::basic, {2, 2, 2, 2}},
    {34, BlockKind::basic, {3, 4, 6, 3}},
    {50, BlockKind::bottleneck, {3, 4, 6, 3}},
    {101, BlockKind::bottleneck, {3, 4, 23, 3}},
    {152, BlockKind::bottleneck, {3, 8, 36, 3}},
};

class ResNetImpl : public Classifier, public BackboneBody {
public:
    nn::Conv2d conv1{nullptr};
    nn::AnyModule bn1;
    nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
    nn::Linear fc{nullptr};

    /// `include_fc` false: the detection body (no pooling, no head).
    ResNetImpl(const ResNetSpec& spec, const ModelConfig& config, bool include_fc) {
        conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(3, 64, 7).stride(2).padding(3).bias(false)));
        bn1 = norm_layer(64, spec.options.frozen_batch_norm);
        register_module("bn1", bn1.ptr());
        const int64_t expansion =
            spec.block == BlockKind::basic ? BasicBlockImpl::expansion : BottleneckImpl::expansion;
        int64_t inplanes = 64;
        layer1 = register_module("layer1", make_layer(spec, inplanes, 64, spec.blocks[0], 1));
        layer2 = register_module("layer2", make_layer(spec, inplanes, 128, spec.blocks[1], 2));
        layer3 = register_module("layer3", make_layer(spec, inplanes, 256, spec.blocks[2], 2));
        layer4 = register_module("layer4", make_layer(spec, inplanes, 512, spec.blocks[3], 2));
        if (include_fc) fc = register_module("fc", nn::Linear(512 * expansion, config.num_classes));
        for (int64_t planes : {64, 128, 256, 512}) channels_.push_back(planes * expansion);

        torch::NoGradGuard no_grad;
        for (const auto& module : modules(/*include_self=*/false)) {
            if (auto* conv = module->as<nn::Conv2d>())
                nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
            else if (auto* bn = module->as<SyncBatchNorm2d>()) {
                nn::init::ones_(bn->weight);
                nn::init::zeros_(bn->bias);
            }
        }
        if (spec.zero_init_last) {
            for (const auto& module : modules(/*include_self=*/false)) {
                if (auto* block = module->as<Bottleneck>()) {
                    if (auto* bn = block->bn3.ptr()->as<SyncBatchNorm2d>()) nn::init::zeros_(bn->weight);
                } else if (auto* block = module->as<BasicBlock>()) {
                    if (auto* bn = block->bn2.ptr()->as<SyncBatchNorm2d>()) nn::init::zeros_(bn->weight);
                }
            }
        }
    }

    std::vector<torch::Tensor> features(torch::Tensor x) override {
        x = torch::relu(bn1.forward(conv1(x)));
        x = torch::max_pool2d(x, /*kernel_size=*/{3, 3}, /*stride=*/{2, 2}, /*padding=*/{1, 1});
        auto c2 = layer1->forward(x);
        auto c3 = layer2->forward(c2);
        auto c4 = layer3->forward(c3);
        auto c5 = layer4->forward(c4);
        return {c2, c3, c4, c5};
    }

    std::vector<int64_t> feature_channels() const override { return channels_; }

    std::vector<std::vector<std::string>> stages() const override { return layer_groups(); }

    torch::Tensor forward(torch::Tensor x) override {
        x = features(x).back();
        x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
        return fc(x);
    }

    std::string head_prefix() const override { return "fc."; }

    std::vector<std::vector<std::string>> layer_groups() const override {
        return {{"conv1.", "bn1."}, {"layer1."}, {"layer2."}, {"layer3."}, {"layer4."}};
    }

private:
    std::vector<int64_t> channels_;

    static nn::Sequential make_layer(const ResNetSpec& spec, int64_t& inplanes, int64_t planes, int64_t blocks,
                                     int64_t stride) {
        nn::Sequential layer;
        for (int64_t i = 0; i < blocks; ++i) {
            const int64_t s = i == 0 ? stride : 1;
            if (spec.block == BlockKind::basic) {
                layer->push_back(BasicBlock(inplanes, planes, s, spec.options));
                inplanes = planes * BasicBlockImpl::expansion;
            } else {
                layer->push_back(Bottleneck(inplanes, planes, s, spec.options));
                inplanes = planes * BottleneckImpl::expansion;
            }
        }
        return layer;
    }
};

}  // namespace

static const DepthEntry& depth_entry(int depth) {
    for (const auto& entry : kTorchvisionDepths)
        if (entry.depth == depth) return entry;
    throw std::invalid_argument("ResNet depth must be 18, 34, 50, 101 or 152, not " + std::to_string(depth));
}

std::shared_ptr<Classifier> make_resnet(int depth, const ModelConfig& config) {
    const auto& entry = depth_entry(depth);
    ResNetSpec spec{entry.block, entry.blocks, BlockOptions{}, /*zero_init_last=*/false};
    return std::make_shared<ResNetImpl>(spec, config, /*include_fc=*/true);
}

std::shared_ptr<torch::nn::Module> make_resnet_body(int depth, bool frozen_batch_norm, BackboneBody** features) {
    const auto& entry = depth_entry(depth);
    BlockOptions options;
    options.frozen_batch_norm = frozen_batch_norm;
    ResNetSpec spec{entry.block, entry.blocks, options, /*zero_init_last=*/false};
    auto body = std::make_shared<ResNetImpl>(spec, ModelConfig{}, /*include_fc=*/false);
    if (features) *features = body.get();
    return body;
}

std::shared_ptr<Classifier> make_seresnext50_32x4d(const ModelConfig& config) {
    BlockOptions options;
    options.groups = 32;
    options.base_width = 4;
    options.squeeze_excite = true;
    ResNetSpec spec{BlockKind::bottleneck, {3, 4, 6, 3}, options, /*zero_init_last=*/true};
    return std::make_shared<ResNetImpl>(spec, config, /*include_fc=*/true);
}

}  // namespace spool
