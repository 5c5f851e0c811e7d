// vit.cpp — Vision Transformers: torchvision's ViT-B/16 and ViT-L/16, and timm's vit_small_patch16_224.
//
// Both families are the same pre-norm transformer (patch conv, class token, learned position embedding,
// blocks of LN -> multi-head self-attention -> residual, LN -> Linear/GELU/Linear -> residual, final LN, head on
// the class token). They differ only in their module names and their initialisation, so one implementation
// takes a `Naming` and registers every module under the reference's name:
//
//   torchvision (vision_transformer.py, 0.14)      timm (vision_transformer.py, 1.0)
//   class_token                                    cls_token
//   conv_proj                                      patch_embed.proj
//   encoder.pos_embedding                          pos_embed
//   encoder.layers.encoder_layer_N.                blocks.N.
//     ln_1, ln_2                                     norm1, norm2
//     self_attention.in_proj_weight/in_proj_bias     attn.qkv.weight/bias   (both [3*D, D], rows q|k|v)
//     self_attention.out_proj                        attn.proj
//     mlp.0, mlp.3                                   mlp.fc1, mlp.fc2
//   encoder.ln                                     norm
//   heads.head                                     head
//
// LayerNorm eps is 1e-6 and GELU is the exact (erf) one in both; attention scales q by 1/sqrt(head_dim).
// Dropout is 0 in both references' defaults and is left out. The timm configuration used here has no layer
// scale (ls1/ls2), no norm_pre and no fc_norm, so those contribute no keys.
#include "models/backbones/backbones.h"

#include <torch/nn/init.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/utils.h>

#include <cmath>
#include <stdexcept>

namespace spool {
namespace {

enum class Naming { Torchvision, Timm };

constexpr int64_t kPatch = 16;
constexpr double kLayerNormEps = 1e-6;

/// Truncated normal N(0, std) restricted to [a, b] (absolute bounds, as torch.nn.init.trunc_normal_ and timm's
/// trunc_normal_ take them), drawn by inverting the normal CDF on a uniform sample.
void trunc_normal_(torch::Tensor t, double std, double a = -2.0, double b = 2.0) {
    torch::NoGradGuard no_grad;
    auto cdf = [](double v) { return 0.5 * (1.0 + std::erf(v / std::sqrt(2.0))); };
    const double lo = cdf(a / std), hi = cdf(b / std);
    t.uniform_(2.0 * lo - 1.0, 2.0 * hi - 1.0);
    t.erfinv_();
    t.mul_(std * std::sqrt(2.0));
    t.clamp_(a, b);
}

torch::nn::LayerNorm layer_norm(int64_t dim) {
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(kLayerNormEps));
}

// ---- multi-head self-attention with one packed q|k|v projection ------------------------------------------

class SelfAttentionImpl : public torch::nn::Module {
public:
    SelfAttentionImpl(Naming naming, int64_t dim, int64_t heads) : heads_(heads) {
        if (dim % heads != 0) throw std::invalid_argument("ViT: hidden size must be divisible by the head count");
        if (naming == Naming::Torchvision) {
            // nn.MultiheadAttention: bare in_proj_* parameters plus an out_proj Linear.
            qkv_weight_ = register_parameter("in_proj_weight", torch::empty({3 * dim, dim}));
            qkv_bias_ = register_parameter("in_proj_bias", torch::empty({3 * dim}));
            out_ = register_module("out_proj", torch::nn::Linear(dim, dim));
            torch::NoGradGuard no_grad;
            torch::nn::init::xavier_uniform_(qkv_weight_);
            qkv_bias_.zero_();
            out_->bias.zero_();  // out_proj.weight keeps nn.Linear's default init, as in PyTorch
        } else {
            qkv_ = register_module("qkv", torch::nn::Linear(dim, 3 * dim));
            out_ = register_module("proj", torch::nn::Linear(dim, dim));
            torch::NoGradGuard no_grad;
            trunc_normal_(qkv_->weight, 0.02);
            trunc_normal_(out_->weight, 0.02);
            qkv_->bias.zero_();
            out_->bias.zero_();
        }
    }

    torch::Tensor forward(const torch::Tensor& x) {  // x: B x N x D
        const int64_t b = x.size(0), n = x.size(1), d = x.size(2), hd = d / heads_;
        auto qkv = qkv_ ? qkv_->forward(x) : torch::linear(x, qkv_weight_, qkv_bias_);  // B x N x 3D
        qkv = qkv.view({b, n, 3, heads_, hd}).permute({2, 0, 3, 1, 4});                     // 3 x B x H x N x hd
        auto q = qkv[0] * (1.0 / std::sqrt(static_cast<double>(hd)));  // B x H x N x hd
        auto attn = torch::matmul(q, qkv[1].transpose(-2, -1)).softmax(-1);
        auto out = torch::matmul(attn, qkv[2]).transpose(1, 2).reshape({b, n, d});
        return out_->forward(out);
    }

private:
    int64_t heads_;
    torch::Tensor qkv_weight_, qkv_bias_;  // torchvision
    torch::nn::Linear qkv_{nullptr};        // timm
    torch::nn::Linear out_{nullptr};
};
TORCH_MODULE(SelfAttention);

// ---- MLP: Linear -> GELU -> Linear ------------------------------------------------------------------------

class MlpImpl : public torch::nn::Module {
public:
    MlpImpl(Naming naming, int64_t dim, int64_t hidden) {
        const bool tv = naming == Naming::Torchvision;
        // torchvision's MLP is a Sequential (Linear, GELU, Dropout, Linear, Dropout): the Linears are 0 and 3.
        fc1_ = register_module(tv ? "0" : "fc1", torch::nn::Linear(dim, hidden));
        fc2_ = register_module(tv ? "3" : "fc2", torch::nn::Linear(hidden, dim));
        torch::NoGradGuard no_grad;
        for (auto* fc : {&fc1_, &fc2_}) {
            if (tv) {
                torch::nn::init::xavier_uniform_((*fc)->weight);
                (*fc)->bias.normal_(0.0, 1e-6);
            } else {
                trunc_normal_((*fc)->weight, 0.02);
                (*fc)->bias.zero_();
            }
        }
    }

    torch::Tensor forward(const torch::Tensor& x) { return fc2_->forward(torch::gelu(fc1_->forward(x))); }

private:
    torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(Mlp);

// ---- one pre-norm encoder block ---------------------------------------------------------------------------

class EncoderBlockImpl : public torch::nn::Module {
public:
    EncoderBlockImpl(Naming naming, int64_t dim, int64_t heads, int64_t mlp_dim) {
        const bool tv = naming == Naming::Torchvision;
        ln1_ = register_module(tv ? "ln_1" : "norm1", layer_norm(dim));
        attn_ = register_module(tv ? "self_attention" : "attn", SelfAttention(naming, dim, heads));
        ln2_ = register_module(tv ? "ln_2" : "norm2", layer_norm(dim));
        mlp_ = register_module("mlp", Mlp(naming, dim, mlp_dim));
    }

    torch::Tensor forward(torch::Tensor x) {
        x = x + attn_->forward(ln1_->forward(x));
        return x + mlp_->forward(ln2_->forward(x));
    }

private:
    torch::nn::LayerNorm ln1_{nullptr}, ln2_{nullptr};
    SelfAttention attn_{nullptr};
    Mlp mlp_{nullptr};
};
TORCH_MODULE(EncoderBlock);

// ---- the model --------------------------------------------------------------------------------------------

struct VitSpec {
    int64_t hidden, depth, heads, mlp;
};

class VisionTransformerImpl : public Classifier {
public:
    VisionTransformerImpl(Naming naming, const VitSpec& spec, const ModelConfig& config)
        : naming_(naming), image_size_(config.image_size) {
        if (config.image_size < kPatch || config.image_size % kPatch != 0)
            throw std::invalid_argument("ViT: image_size must be a positive multiple of 16, got " +
                                        std::to_string(config.image_size));
        const int64_t d = spec.hidden;
        const int64_t seq = (image_size_ / kPatch) * (image_size_ / kPatch) + 1;
        const bool tv = naming == Naming::Torchvision;
        auto patch_conv = torch::nn::Conv2d(torch::nn::Conv2dOptions(3, d, kPatch).stride(kPatch));

        // Plain modules stand in for the references' containers so the names nest the same way.
        std::shared_ptr<torch::nn::Module> blocks_parent, encoder;
        if (tv) {
            class_token_ = register_parameter("class_token", torch::zeros({1, 1, d}));
            conv_proj_ = register_module("conv_proj", patch_conv);
            encoder = register_module("encoder", std::make_shared<torch::nn::Module>());
            pos_embed_ = encoder->register_parameter("pos_embedding", torch::empty({1, seq, d}));
            blocks_parent = encoder->register_module("layers", std::make_shared<torch::nn::Module>());
        } else {
            class_token_ = register_parameter("cls_token", torch::empty({1, 1, d}));
            pos_embed_ = register_parameter("pos_embed", torch::empty({1, seq, d}));
            auto patch_embed = register_module("patch_embed", std::make_shared<torch::nn::Module>());
            conv_proj_ = patch_embed->register_module("proj", patch_conv);
            blocks_parent = register_module("blocks", std::make_shared<torch::nn::Module>());
        }
        for (int64_t i = 0; i < spec.depth; ++i) {
            const std::string name = tv ? "encoder_layer_" + std::to_string(i) : std::to_string(i);
            blocks_.push_back(blocks_parent->register_module(name, EncoderBlock(naming, d, spec.heads, spec.mlp)));
        }
        if (tv) {
            norm_ = encoder->register_module("ln", layer_norm(d));
            auto heads = register_module("heads", std::make_shared<torch::nn::Module>());
            head_ = heads->register_module("head", torch::nn::Linear(d, config.num_classes));
        } else {
            norm_ = register_module("norm", layer_norm(d));
            head_ = register_module("head", torch::nn::Linear(d, config.num_classes));
        }
        reset_parameters();
    }

    torch::Tensor forward(torch::Tensor x) override {
        TORCH_CHECK(x.dim() == 4 && x.size(2) == image_size_ && x.size(3) == image_size_,
                    "ViT built for ", image_size_, "x", image_size_, " inputs got ", x.sizes());
        x = conv_proj_->forward(x).flatten(2).transpose(1, 2);  // B x patches x D
        x = torch::cat({class_token_.expand({x.size(0), -1, -1}), x}, 1) + pos_embed_;
        for (auto& block : blocks_) x = block->forward(x);
        x = norm_->forward(x);
        return head_->forward(x.select(1, 0));
    }

    std::string head_prefix() const override { return naming_ == Naming::Torchvision ? "heads.head." : "head."; }

    std::vector<std::vector<std::string>> layer_groups() const override {
        const bool tv = naming_ == Naming::Torchvision;
        std::vector<std::vector<std::string>> groups;
        if (tv)
            groups.push_back({"conv_proj.", "class_token", "encoder.pos_embedding"});
        else
            groups.push_back({"patch_embed.", "cls_token", "pos_embed"});
        for (size_t i = 0; i < blocks_.size(); ++i)
            groups.push_back({tv ? "encoder.layers.encoder_layer_" + std::to_string(i) + "." :
                                   "blocks." + std::to_string(i) + "."});
        return groups;
    }

private:
    // Initialisation beyond what the submodules did themselves (the blocks initialise their own Linears).
    void reset_parameters() {
        torch::NoGradGuard no_grad;
        if (naming_ == Naming::Torchvision) {
            // VisionTransformer.__init__: patchify conv trunc-normal with std sqrt(1/fan_in), zero bias;
            // class token zero; position embedding N(0, 0.02) (from BERT); zero head.
            const double fan_in = 3.0 * kPatch * kPatch;
            trunc_normal_(conv_proj_->weight, std::sqrt(1.0 / fan_in));
            conv_proj_->bias.zero_();
            pos_embed_.normal_(0.0, 0.02);
            head_->weight.zero_();
            head_->bias.zero_();
        } else {
            // timm init_weights (mode ''): pos_embed trunc-normal 0.02, cls_token N(0, 1e-6), every Linear
            // trunc-normal 0.02 with zero bias; the patch conv keeps nn.Conv2d's default init.
            trunc_normal_(pos_embed_, 0.02);
            class_token_.normal_(0.0, 1e-6);
            trunc_normal_(head_->weight, 0.02);
            head_->bias.zero_();
        }
    }

    Naming naming_;
    int64_t image_size_;
    torch::Tensor class_token_, pos_embed_;
    torch::nn::Conv2d conv_proj_{nullptr};
    std::vector<EncoderBlock> blocks_;
    torch::nn::LayerNorm norm_{nullptr};
    torch::nn::Linear head_{nullptr};
};

}  // namespace

std::shared_ptr<Classifier> make_vit_torchvision(const std::string& variant, const ModelConfig& config) {
    if (variant == "b_16") return std::make_shared<VisionTransformerImpl>(Naming::Torchvision, VitSpec{768, 12, 12, 3072}, config);
    if (variant == "l_16") return std::make_shared<VisionTransformerImpl>(Naming::Torchvision, VitSpec{1024, 24, 16, 4096}, config);
    throw std::invalid_argument("unknown torchvision ViT variant '" + variant + "'; allowed: b_16, l_16");
}

std::shared_ptr<Classifier> make_vit_timm_small(const ModelConfig& config) {
    return std::make_shared<VisionTransformerImpl>(Naming::Timm, VitSpec{384, 12, 6, 1536}, config);
}

}  // namespace spool
