// mobilenet_v3.cpp — torchvision mobilenet_v3_large (width 1.0) as a detector's body, with torchvision's names
// (a detector's `backbone.body` holds the blocks of `features` as "0".."16"):
//   0        conv 3x3/2 to 16 + BN + hardswish (0.0, 0.1)
//   1..15    inverted residual blocks, each a `block` sequence: expand 1x1 + BN + act (absent when the width stays),
//            depthwise kxk (strided) + BN + act, squeeze-excite (`fc1`, `fc2`, hard-sigmoid gate) where the table
//            says, project 1x1 + BN; the input added when the stride is 1 and the width stays
//   16       conv 1x1 to 960 + BN + hardswish
// act: ReLU in the first six blocks, hardswish after. BatchNorm as a detector has it: FrozenBatchNorm2d from
// ImageNet weights, else trainable BatchNorm2d with torchvision's defaults (eps 1e-5, momentum 0.1: the detector
// passes nn.BatchNorm2d itself, not the classifier's eps 1e-3).
// Init as torchvision: conv kaiming-normal fan_out with zero bias, BN 1/0.
#include "models/backbones/backbones.h"
#include "models/layers/frozen_batch_norm.h"
#include "models/layers/squeeze_excite.h"
#include "models/layers/sync_batch_norm.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include <algorithm>
#include <iterator>

namespace spool {
namespace {

namespace nn = torch::nn;

enum class Activation { none, relu, hardswish };

/// torchvision's _make_divisible: the nearest multiple of `divisor` (at least `divisor`), one more when rounding
/// lost over 10%.
int64_t make_divisible_tv(double v, int64_t divisor) {
    int64_t rounded = std::max(divisor, static_cast<int64_t>(v + divisor / 2.0) / divisor * divisor);
    if (static_cast<double>(rounded) < 0.9 * v) rounded += divisor;
    return rounded;
}

/// torchvision's Conv2dNormActivation: conv without bias (`.0`), BN (`.1`), activation (`.2`, no parameters).
/// A Sequential subclass with a plain forward so that it can sit inside another Sequential.
struct ConvNormActivationImpl : nn::SequentialImpl {
    ConvNormActivationImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups, Activation act,
                           bool frozen) {
        push_back(nn::Conv2d(
            nn::Conv2dOptions(in, out, kernel).stride(stride).padding((kernel - 1) / 2).groups(groups).bias(false)));
        if (frozen)
            push_back(FrozenBatchNorm2d(out));
        else
            push_back(SyncBatchNorm2d(nn::BatchNorm2dOptions(out).eps(1e-5).momentum(0.1)));
        activation_ = act;
    }
    torch::Tensor forward(torch::Tensor x) {
        x = nn::SequentialImpl::forward(x);
        switch (activation_) {
        case Activation::relu: return torch::relu(x);
        case Activation::hardswish: return torch::hardswish(x);
        case Activation::none: return x;
        }
        return x;
    }

private:
    Activation activation_;
};
TORCH_MODULE(ConvNormActivation);

// One row of the table: input, kernel, expanded and output channels, squeeze-excite, hardswish, stride.
struct BlockSetting {
    int64_t in, kernel, expanded, out;
    bool se, hardswish;
    int64_t stride;
};
// The MobileNetV3 paper's Table 1 (torchvision's _mobilenet_v3_conf "mobilenet_v3_large", width 1.0).
const BlockSetting kLarge[] = {
    {16, 3, 16, 16, false, false, 1},   {16, 3, 64, 24, false, false, 2},   {24, 3, 72, 24, false, false, 1},
    {24, 5, 72, 40, true, false, 2},    {40, 5, 120, 40, true, false, 1},   {40, 5, 120, 40, true, false, 1},
    {40, 3, 240, 80, false, true, 2},   {80, 3, 200, 80, false, true, 1},   {80, 3, 184, 80, false, true, 1},
    {80, 3, 184, 80, false, true, 1},   {80, 3, 480, 112, true, true, 1},   {112, 3, 672, 112, true, true, 1},
    {112, 5, 672, 160, true, true, 2},  {160, 5, 960, 160, true, true, 1},  {160, 5, 960, 160, true, true, 1},
};

struct InvertedResidualImpl : nn::Module {
    nn::Sequential block{nullptr};
    bool use_residual;

    InvertedResidualImpl(const BlockSetting& s, bool frozen) : use_residual(s.stride == 1 && s.in == s.out) {
        const auto act = s.hardswish ? Activation::hardswish : Activation::relu;
        nn::Sequential layers;
        if (s.expanded != s.in) layers->push_back(ConvNormActivation(s.in, s.expanded, 1, 1, 1, act, frozen));
        layers->push_back(ConvNormActivation(s.expanded, s.expanded, s.kernel, s.stride, s.expanded, act, frozen));
        if (s.se)
            layers->push_back(SqueezeExcite(s.expanded, make_divisible_tv(static_cast<double>(s.expanded / 4), 8),
                                            SqueezeExciteImpl::Gate::hard_sigmoid));
        layers->push_back(ConvNormActivation(s.expanded, s.out, 1, 1, 1, Activation::none, frozen));
        block = register_module("block", layers);
    }

    torch::Tensor forward(torch::Tensor x) { return use_residual ? block->forward(x) + x : block->forward(x); }
};
TORCH_MODULE(InvertedResidual);

constexpr int64_t kStemChannels = 16;
constexpr int64_t kLastChannels = 6 * 160;

class MobileNetV3BodyImpl : public nn::Module, public BackboneBody {
public:
    explicit MobileNetV3BodyImpl(bool frozen) {
        blocks_.push_back(register_module("0", ConvNormActivation(3, kStemChannels, 3, 2, 1, Activation::hardswish, frozen)));
        std::vector<int64_t> stage_starts{0};
        for (size_t i = 0; i < std::size(kLarge); ++i) {
            const auto index = static_cast<int64_t>(i) + 1;
            blocks_.push_back(register_module(std::to_string(index), InvertedResidual(kLarge[i], frozen)));
            if (kLarge[i].stride > 1) stage_starts.push_back(index);
        }
        const auto last = static_cast<int64_t>(blocks_.size());
        blocks_.push_back(register_module(std::to_string(last),
                                          ConvNormActivation(160, kLastChannels, 1, 1, 1, Activation::hardswish, frozen)));
        stage_starts.push_back(last);
        // torchvision's stage_indices: the stem, every strided block, the last conv. A stage runs from its index
        // to the next's; the FPN reads the outputs of the last two stage indices.
        for (size_t s = 0; s < stage_starts.size(); ++s) {
            const int64_t end = s + 1 < stage_starts.size() ? stage_starts[s + 1] : last + 1;
            std::vector<std::string> prefixes;
            for (int64_t b = stage_starts[s]; b < end; ++b) prefixes.push_back(std::to_string(b) + ".");
            stages_.push_back(prefixes);
        }
        returned_ = {stage_starts[stage_starts.size() - 2], stage_starts.back()};

        torch::NoGradGuard no_grad;
        for (const auto& module : modules(/*include_self=*/false)) {
            if (auto* c = module->as<nn::Conv2d>()) {
                nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut);
                if (c->bias.defined()) nn::init::zeros_(c->bias);
            } else if (auto* bn = module->as<SyncBatchNorm2d>()) {
                nn::init::ones_(bn->weight);
                nn::init::zeros_(bn->bias);
            }
        }
    }

    std::vector<torch::Tensor> features(torch::Tensor x) override {
        std::vector<torch::Tensor> out;
        for (size_t i = 0; i < blocks_.size() && out.size() < returned_.size(); ++i) {
            if (auto* conv = blocks_[i]->as<ConvNormActivation>())
                x = conv->forward(x);
            else
                x = blocks_[i]->as<InvertedResidual>()->forward(x);
            if (static_cast<int64_t>(i) == returned_[out.size()]) out.push_back(x);
        }
        return out;
    }

    std::vector<int64_t> feature_channels() const override { return {kLarge[returned_[0] - 1].out, kLastChannels}; }

    std::vector<std::vector<std::string>> stages() const override { return stages_; }

private:
    std::vector<std::shared_ptr<nn::Module>> blocks_;
    std::vector<std::vector<std::string>> stages_;
    std::vector<int64_t> returned_;
};

}  // namespace

std::shared_ptr<torch::nn::Module> make_mobilenet_v3_large_body(bool frozen_batch_norm, BackboneBody** features) {
    auto body = std::make_shared<MobileNetV3BodyImpl>(frozen_batch_norm);
    if (features) *features = body.get();
    return body;
}

}  // namespace spool
