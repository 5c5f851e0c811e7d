// resnest.cpp — timm's ResNeSt-50d and ResNeSt-101e (timm/models/resnest.py on timm's ResNet, resnet.py).
//
// Both are timm ResNets with:
//   * a deep stem: conv1 = Sequential(conv3x3/2, BN, ReLU, conv3x3, BN, ReLU, conv3x3) -> keys conv1.0, .1, .3,
//     .4, .6 — widths (w, w, 2w) with stem_width w = 32 (50d) or 64 (101e); then bn1, ReLU, maxpool 3/2;
//   * "avg_down" shortcuts: downsample = Sequential(AvgPool 2/2 ceil, count_include_pad=False — or Identity at
//     stride 1 —, conv1x1, BN) -> keys downsample.1, downsample.2;
//   * ResNestBottleneck blocks (planes 64/128/256/512, expansion 4, base_width 64, cardinality 1): conv1 1x1,
//     bn1, ReLU, conv2 = SplitAttn (radix 2), then for a strided block an "avd" AvgPool 3/stride pad 1 after
//     the split attention (avd_first False) while the 3x3 conv itself keeps stride 1, conv3 1x1, bn3, residual,
//     ReLU;
//   * SplitAttn: conv (3x3, groups = radix, bias-free) -> bn0 -> ReLU; the radix splits are summed, globally
//     averaged, fc1 (1x1 conv with bias) -> bn1 -> ReLU -> fc2 (1x1 conv with bias), a softmax across the radix
//     splits per channel ("rSoftMax"), and the splits are summed weighted by it.
// Head: global average pool, fc.
#include "models/layers/sync_batch_norm.h"
#include "models/backbones/backbones.h"

#include <torch/nn/init.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/pooling.h>
#include <torch/nn/modules/utils.h>
#include <torch/utils.h>

#include <algorithm>
#include <stdexcept>

namespace spool {
namespace {

constexpr int64_t kExpansion = 4;
constexpr int64_t kRadix = 2;

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, bool bias = false,
                       int64_t groups = 1) {
    return torch::nn::Conv2d(
        torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).groups(groups).bias(bias));
}

/// timm's make_divisible: round to the nearest multiple of `divisor`, at least `min_value`, and never more than
/// 10% below `v`.
int64_t make_divisible(double v, int64_t divisor, int64_t min_value) {
    int64_t rounded = std::max(min_value, static_cast<int64_t>(v + divisor / 2.0) / divisor * divisor);
    if (rounded < 0.9 * v) rounded += divisor;
    return rounded;
}

// ---- split attention -------------------------------------------------------------------------------------

class SplitAttnImpl : public torch::nn::Module {
public:
    SplitAttnImpl(int64_t in_channels, int64_t out_channels) : channels_(out_channels) {
        const int64_t mid = out_channels * kRadix;
        const int64_t attn = make_divisible(in_channels * kRadix * 0.25, 8, 32);
        conv_ = register_module("conv", conv(in_channels, mid, 3, 1, false, kRadix));
        bn0_ = register_module("bn0", SyncBatchNorm2d(mid));
        fc1_ = register_module("fc1", conv(out_channels, attn, 1, 1, true));
        bn1_ = register_module("bn1", SyncBatchNorm2d(attn));
        fc2_ = register_module("fc2", conv(attn, mid, 1, 1, true));
    }

    torch::Tensor forward(torch::Tensor x) {
        x = bn0_->forward(conv_->forward(x)).relu_();
        const int64_t b = x.size(0), h = x.size(2), w = x.size(3);
        auto splits = x.view({b, kRadix, channels_, h, w});
        auto gap = splits.sum(1).mean({2, 3}, /*keepdim=*/true);  // B x C x 1 x 1
        gap = bn1_->forward(fc1_->forward(gap)).relu_();
        // fc2 gives radix-major logits (split r, channel c at r * C + c); softmax across the splits.
        auto weights = fc2_->forward(gap).view({b, kRadix, channels_}).softmax(1).view({b, kRadix, channels_, 1, 1});
        return (splits * weights).sum(1);
    }

private:
    int64_t channels_;
    torch::nn::Conv2d conv_{nullptr}, fc1_{nullptr}, fc2_{nullptr};
    SyncBatchNorm2d bn0_{nullptr}, bn1_{nullptr};
};
TORCH_MODULE(SplitAttn);

// ---- bottleneck ---------------------------------------------------------------------------------------------

class ResNestBottleneckImpl : public torch::nn::Module {
public:
    ResNestBottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride, torch::nn::Sequential downsample) {
        const int64_t width = planes;  // planes * base_width / 64 * cardinality, with 64 and 1
        conv1_ = register_module("conv1", conv(inplanes, width, 1));
        bn1_ = register_module("bn1", SyncBatchNorm2d(width));
        conv2_ = register_module("conv2", SplitAttn(width, width));
        if (stride > 1)
            avd_last_ = register_module(
                "avd_last", torch::nn::AvgPool2d(torch::nn::AvgPool2dOptions(3).stride(stride).padding(1)));
        conv3_ = register_module("conv3", conv(width, planes * kExpansion, 1));
        bn3_ = register_module("bn3", SyncBatchNorm2d(planes * kExpansion));
        if (downsample) downsample_ = register_module("downsample", downsample);
    }

    torch::Tensor forward(torch::Tensor x) {
        auto out = bn1_->forward(conv1_->forward(x)).relu_();
        out = conv2_->forward(out);
        if (avd_last_) out = avd_last_->forward(out);
        out = bn3_->forward(conv3_->forward(out));
        out += downsample_ ? downsample_->forward(x) : x;
        return out.relu_();
    }

    SyncBatchNorm2d& bn3() { return bn3_; }

private:
    torch::nn::Conv2d conv1_{nullptr}, conv3_{nullptr};
    SyncBatchNorm2d bn1_{nullptr}, bn3_{nullptr};
    SplitAttn conv2_{nullptr};
    torch::nn::AvgPool2d avd_last_{nullptr};
    torch::nn::Sequential downsample_{nullptr};
};
TORCH_MODULE(ResNestBottleneck);

// ---- the network --------------------------------------------------------------------------------------------

class ResNestImpl : public Classifier {
public:
    ResNestImpl(const std::vector<int64_t>& blocks, int64_t stem_width, const ModelConfig& config) {
        int64_t inplanes = stem_width * 2;
        conv1_ = register_module(
            "conv1", torch::nn::Sequential(conv(3, stem_width, 3, 2), SyncBatchNorm2d(stem_width),
                                           torch::nn::ReLU(torch::nn::ReLUOptions(true)),
                                           conv(stem_width, stem_width, 3), SyncBatchNorm2d(stem_width),
                                           torch::nn::ReLU(torch::nn::ReLUOptions(true)),
                                           conv(stem_width, inplanes, 3)));
        bn1_ = register_module("bn1", SyncBatchNorm2d(inplanes));
        maxpool_ = register_module("maxpool",
                                   torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(1)));

        const int64_t planes[4] = {64, 128, 256, 512};
        for (int stage = 0; stage < 4; ++stage) {
            const int64_t stride = stage == 0 ? 1 : 2, out = planes[stage] * kExpansion;
            torch::nn::Sequential layer;
            for (int64_t i = 0; i < blocks[stage]; ++i) {
                torch::nn::Sequential downsample{nullptr};
                if (i == 0 && (stride != 1 || inplanes != out)) {
                    downsample = torch::nn::Sequential();
                    if (stride == 1)
                        downsample->push_back(torch::nn::Identity());
                    else
                        downsample->push_back(torch::nn::AvgPool2d(
                            torch::nn::AvgPool2dOptions(2).stride(stride).ceil_mode(true).count_include_pad(false)));
                    downsample->push_back(conv(inplanes, out, 1));
                    downsample->push_back(SyncBatchNorm2d(out));
                }
                auto block = ResNestBottleneck(inplanes, planes[stage], i == 0 ? stride : 1, downsample);
                bottlenecks_.push_back(block);
                layer->push_back(block);
                inplanes = out;
            }
            layers_.push_back(register_module("layer" + std::to_string(stage + 1), layer));
        }
        fc_ = register_module("fc", torch::nn::Linear(inplanes, config.num_classes));
        reset_parameters();
    }

    torch::Tensor forward(torch::Tensor x) override {
        x = maxpool_->forward(bn1_->forward(conv1_->forward(x)).relu_());
        for (auto& layer : layers_) x = layer->forward(x);
        return fc_->forward(x.mean({2, 3}));
    }

    std::string head_prefix() const override { return "fc."; }

    std::vector<std::vector<std::string>> layer_groups() const override {
        return {{"conv1.", "bn1."}, {"layer1."}, {"layer2."}, {"layer3."}, {"layer4."}};
    }

private:
    // timm ResNet.init_weights: every conv (the split-attention fc1/fc2 included) Kaiming-normal, fan_out, ReLU;
    // BN weight 1, bias 0 (their defaults), except each bottleneck's bn3 weight 0 (zero_init_last); the
    // conv biases and fc keep PyTorch's defaults.
    void reset_parameters() {
        torch::NoGradGuard no_grad;
        for (auto& module : modules(/*include_self=*/false))
            if (auto* c = module->as<torch::nn::Conv2d>())
                torch::nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
        for (auto& block : bottlenecks_) block->bn3()->weight.zero_();
    }

    torch::nn::Sequential conv1_{nullptr};
    SyncBatchNorm2d bn1_{nullptr};
    torch::nn::MaxPool2d maxpool_{nullptr};
    std::vector<torch::nn::Sequential> layers_;
    std::vector<ResNestBottleneck> bottlenecks_;
    torch::nn::Linear fc_{nullptr};
};

}  // namespace

std::shared_ptr<Classifier> make_resnest(int depth, const ModelConfig& config) {
    if (depth == 50) return std::make_shared<ResNestImpl>(std::vector<int64_t>{3, 4, 6, 3}, 32, config);    // 50d
    if (depth == 101) return std::make_shared<ResNestImpl>(std::vector<int64_t>{3, 4, 23, 3}, 64, config);  // 101e
    throw std::invalid_argument("unknown ResNeSt depth " + std::to_string(depth) + "; allowed: 50, 101");
}

}  // namespace spool
