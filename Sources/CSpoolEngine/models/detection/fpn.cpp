#include "models/detection/fpn.h"

#include "models/layers/conv_norm_activation.h"

#include <torch/nn/functional/pooling.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/nn/init.h>

namespace spool::detection {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {
/// torchvision's Conv2dNormActivation without norm or activation (`inner_blocks.N.0.weight`).
ConvActivation conv_block(int64_t in, int64_t out, int64_t kernel) { return ConvActivation(in, out, kernel, false); }
}  // namespace

/// RetinaNet's LastLevelP6P7 (`extra_blocks.p6`, `extra_blocks.p7`).
struct LastLevelP6P7Impl : nn::Module {
    nn::Conv2d p6{nullptr}, p7{nullptr};
    LastLevelP6P7Impl(int64_t in, int64_t out) {
        p6 = register_module("p6", nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(2).padding(1)));
        p7 = register_module("p7", nn::Conv2d(nn::Conv2dOptions(out, out, 3).stride(2).padding(1)));
        torch::NoGradGuard no_grad;
        for (auto* conv : {&p6, &p7}) {
            nn::init::kaiming_uniform_((*conv)->weight, 1);
            nn::init::constant_((*conv)->bias, 0);
        }
    }
};
TORCH_MODULE(LastLevelP6P7);

FeaturePyramidNetworkImpl::FeaturePyramidNetworkImpl(const std::vector<int64_t>& in_channels, int64_t out_channels,
                                                     ExtraBlock extra)
    : extra_(extra) {
    inner_blocks = register_module("inner_blocks", nn::ModuleList());
    layer_blocks = register_module("layer_blocks", nn::ModuleList());
    for (auto in : in_channels) {
        inner_blocks->push_back(conv_block(in, out_channels, 1));
        layer_blocks->push_back(conv_block(out_channels, out_channels, 3));
    }
    torch::NoGradGuard no_grad;
    for (auto& m : modules(false)) {
        if (auto* conv = m->as<nn::Conv2d>()) {
            nn::init::kaiming_uniform_(conv->weight, 1);
            nn::init::constant_(conv->bias, 0);
        }
    }
    if (extra == ExtraBlock::p6p7) {
        auto block = LastLevelP6P7(out_channels, out_channels);
        p6_ = block->p6;
        p7_ = block->p7;
        extra_blocks = register_module("extra_blocks", block.ptr());
    }
}

std::vector<torch::Tensor> FeaturePyramidNetworkImpl::forward(const std::vector<torch::Tensor>& c) {
    const int64_t n = static_cast<int64_t>(c.size());
    auto inner = [&](int64_t i, const torch::Tensor& x) { return inner_blocks[i]->as<ConvActivation>()->forward(x); };
    auto layer = [&](int64_t i, const torch::Tensor& x) { return layer_blocks[i]->as<ConvActivation>()->forward(x); };
    auto last_inner = inner(n - 1, c.back());
    std::vector<torch::Tensor> results{layer(n - 1, last_inner)};
    for (int64_t i = n - 2; i >= 0; --i) {
        auto lateral = inner(i, c[static_cast<size_t>(i)]);
        auto top_down = F::interpolate(last_inner, F::InterpolateFuncOptions()
                                                       .size(std::vector<int64_t>{lateral.size(-2), lateral.size(-1)})
                                                       .mode(torch::kNearest));
        last_inner = lateral + top_down;
        results.insert(results.begin(), layer(i, last_inner));
    }
    if (extra_ == ExtraBlock::max_pool) {
        results.push_back(F::max_pool2d(results.back(), F::MaxPool2dFuncOptions(1).stride(2).padding(0)));
    } else {
        auto p6 = p6_(results.back());  // P5 feeds P6 (in == out channels)
        auto p7 = p7_(torch::relu(p6));
        results.push_back(p6);
        results.push_back(p7);
    }
    return results;
}

BackboneWithFPNImpl::BackboneWithFPNImpl(int depth, bool frozen_batch_norm, int64_t trainable_layers, int first_level,
                                         ExtraBlock extra)
    : first_level_(first_level) {
    BackboneBody* features = nullptr;
    auto resnet = make_resnet_body(depth, frozen_batch_norm, &features);
    build(std::move(resnet), features, trainable_layers, extra);
}

BackboneWithFPNImpl::BackboneWithFPNImpl(std::shared_ptr<torch::nn::Module> body_module, BackboneBody* features,
                                         int64_t trainable_layers, int first_level, ExtraBlock extra)
    : first_level_(first_level) {
    build(std::move(body_module), features, trainable_layers, extra);
}

void BackboneWithFPNImpl::build(std::shared_ptr<torch::nn::Module> body_module, BackboneBody* features,
                                int64_t trainable_layers, ExtraBlock extra) {
    features_ = features;
    body = register_module("body", std::move(body_module));
    // torchvision's _resnet_fpn_extractor and _mobilenet_extractor: only the top `trainable_layers` stages train.
    const auto stages = features_->stages();
    const auto count = static_cast<int64_t>(stages.size());
    if (trainable_layers >= 0 && trainable_layers < count) {
        for (auto& p : body->named_parameters(true)) {
            bool trains = false;
            for (int64_t k = count - trainable_layers; k < count; ++k)
                for (const auto& prefix : stages[static_cast<size_t>(k)])
                    if (p.key().rfind(prefix, 0) == 0) trains = true;
            if (!trains) p.value().set_requires_grad(false);
        }
    }
    std::vector<int64_t> in_channels;
    const auto all = features_->feature_channels();
    for (size_t level = static_cast<size_t>(first_level_); level <= all.size(); ++level) in_channels.push_back(all[level - 1]);
    fpn = register_module("fpn", FeaturePyramidNetwork(in_channels, 256, extra));
}

int64_t BackboneWithFPNImpl::pyramid_levels() const {
    return static_cast<int64_t>(features_->feature_channels().size()) - (first_level_ - 1);
}

std::vector<torch::Tensor> BackboneWithFPNImpl::forward(const torch::Tensor& x) {
    auto c = features_->features(x);
    return fpn->forward(std::vector<torch::Tensor>(c.begin() + (first_level_ - 1), c.end()));
}

}  // namespace spool::detection
