// mobilenet_v2.cpp — torchvision mobilenet_v2 (width 1.0), with torchvision's module names:
//   features.0            conv 3x3/2 + BN + ReLU6 (features.0.0, features.0.1)
//   features.1..17        inverted residual blocks, each a `conv` sequence:
//                           expand 1x1 (conv.0.0/.0.1, absent when t=1), depthwise 3x3 (conv.N.0/.N.1),
//                           project 1x1 conv (conv.N+1), BN (conv.N+2)
//   features.18           conv 1x1 to 1280 + BN + ReLU6
//   classifier.0 / .1     dropout 0.2, linear
// Init as torchvision: conv kaiming-normal fan_out, BN 1/0, linear N(0, 0.01) with zero bias.
#include "models/layers/sync_batch_norm.h"
#include "models/backbones/backbones.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cmath>

namespace spool {
namespace {

namespace nn = torch::nn;

// Conv (no bias) + BN + ReLU6, registered as ".0", ".1", ".2" like torchvision's Conv2dNormActivation.
// A Sequential subclass with a plain forward so that it can sit inside another Sequential.
struct ConvBNReLU6Impl : nn::SequentialImpl {
    ConvBNReLU6Impl(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t groups = 1) {
        push_back(nn::Conv2d(nn::Conv2dOptions(in, out, kernel)
                                 .stride(stride)
                                 .padding((kernel - 1) / 2)
                                 .groups(groups)
                                 .bias(false)));
        push_back(SyncBatchNorm2d(nn::BatchNorm2dOptions(out).eps(1e-5).momentum(0.1)));
        push_back(nn::ReLU6());
    }
    torch::Tensor forward(torch::Tensor x) { return nn::SequentialImpl::forward(x); }
};
TORCH_MODULE(ConvBNReLU6);

struct InvertedResidualImpl : nn::Module {
    nn::Sequential conv{nullptr};
    bool use_residual;

    InvertedResidualImpl(int64_t in, int64_t out, int64_t stride, int64_t expand_ratio)
        : use_residual(stride == 1 && in == out) {
        const auto hidden = static_cast<int64_t>(std::lround(static_cast<double>(in * expand_ratio)));
        nn::Sequential layers;
        if (expand_ratio != 1) layers->push_back(ConvBNReLU6(in, hidden, 1));                // expand
        layers->push_back(ConvBNReLU6(hidden, hidden, 3, stride, /*groups=*/hidden));       // depthwise
        layers->push_back(nn::Conv2d(nn::Conv2dOptions(hidden, out, 1).bias(false)));      // project
        layers->push_back(SyncBatchNorm2d(nn::BatchNorm2dOptions(out).eps(1e-5).momentum(0.1)));
        conv = register_module("conv", layers);
    }

    torch::Tensor forward(torch::Tensor x) {
        return use_residual ? x + conv->forward(x) : conv->forward(x);
    }
};
TORCH_MODULE(InvertedResidual);

// Legend: t = expansion ratio, c = output channels, n = repeats, s = stride of the first repeat.
struct StageSetting {
    int64_t t, c, n, s;
};
const StageSetting kInvertedResidualSetting[] = {
    {1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1},
};
constexpr int64_t kStemChannels = 32;
constexpr int64_t kLastChannels = 1280;
constexpr double kDropout = 0.2;

class MobileNetV2Impl : public Classifier {
public:
    nn::Sequential features{nullptr}, classifier{nullptr};

    explicit MobileNetV2Impl(const ModelConfig& config) {
        nn::Sequential f;
        f->push_back(ConvBNReLU6(3, kStemChannels, 3, 2));
        int64_t channels = kStemChannels;
        for (const auto& st : kInvertedResidualSetting) {
            for (int64_t i = 0; i < st.n; ++i) {
                f->push_back(InvertedResidual(channels, st.c, i == 0 ? st.s : 1, st.t));
                channels = st.c;
            }
        }
        f->push_back(ConvBNReLU6(channels, kLastChannels, 1));
        features = register_module("features", f);
        classifier = register_module(
            "classifier", nn::Sequential(nn::Dropout(kDropout), nn::Linear(kLastChannels, config.num_classes)));

        torch::NoGradGuard no_grad;
        for (const auto& module : modules(/*include_self=*/false)) {
            if (auto* c = module->as<nn::Conv2d>()) {
                nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut);
                if (c->bias.defined()) nn::init::zeros_(c->bias);
            } else if (auto* bn = module->as<SyncBatchNorm2d>()) {
                nn::init::ones_(bn->weight);
                nn::init::zeros_(bn->bias);
            } else if (auto* linear = module->as<nn::Linear>()) {
                nn::init::normal_(linear->weight, 0.0, 0.01);
                nn::init::zeros_(linear->bias);
            }
        }
    }

    torch::Tensor forward(torch::Tensor x) override {
        x = features->forward(x);
        x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
        return classifier->forward(x);
    }

    std::string head_prefix() const override { return "classifier.1."; }

    std::vector<std::vector<std::string>> layer_groups() const override {
        std::vector<std::vector<std::string>> groups;
        for (size_t i = 0; i < features->size(); ++i) groups.push_back({"features." + std::to_string(i) + "."});
        return groups;
    }
};

}  // namespace

std::shared_ptr<Classifier> make_mobilenet_v2(const ModelConfig& config) {
    return std::make_shared<MobileNetV2Impl>(config);
}

}  // namespace spool
