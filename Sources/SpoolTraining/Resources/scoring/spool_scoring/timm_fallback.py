"""timm's architectures, for when timm is not installed: the same modules under timm's names, so timm's (and
Spool's) state dicts load as they are. Inference only (no dropout, drop-path or training-time options)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def _make_divisible(v, divisor=8, min_value=None, round_limit=0.9):
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < round_limit * v:
        new_v += divisor
    return new_v


class _SEModule(nn.Module):
    def __init__(self, channels):
        super().__init__()
        rd = _make_divisible(channels / 16, 8, round_limit=0.0)
        self.fc1 = nn.Conv2d(channels, rd, 1, bias=True)
        self.fc2 = nn.Conv2d(rd, channels, 1, bias=True)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(s))))


class _Bottleneck(nn.Module):
    """timm's ResNet Bottleneck (with a squeeze-excite module for SE-ResNeXt)."""

    def __init__(self, inplanes, planes, stride, downsample, groups, base_width, se):
        super().__init__()
        width = int(planes * (base_width / 64)) * groups
        out = planes * 4
        self.conv1 = nn.Conv2d(inplanes, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, groups=groups, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.se = _SEModule(out) if se else None
        self.downsample = downsample

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        if self.se is not None:
            y = self.se(y)
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


class _SplitAttn(nn.Module):
    """timm's SplitAttn (radix 2, cardinality 1)."""

    def __init__(self, channels, radix=2):
        super().__init__()
        self.radix = radix
        attn = _make_divisible(channels * radix * 0.25, 8, min_value=32)
        self.conv = nn.Conv2d(channels, channels * radix, 3, 1, 1, groups=radix, bias=False)
        self.bn0 = nn.BatchNorm2d(channels * radix)
        self.fc1 = nn.Conv2d(channels, attn, 1)
        self.bn1 = nn.BatchNorm2d(attn)
        self.fc2 = nn.Conv2d(attn, channels * radix, 1)

    def forward(self, x):
        x = F.relu(self.bn0(self.conv(x)))
        b, rc, h, w = x.shape
        x = x.reshape(b, self.radix, rc // self.radix, h, w)
        gap = x.sum(dim=1).mean((2, 3), keepdim=True)
        gap = F.relu(self.bn1(self.fc1(gap)))
        attn = self.fc2(gap).view(b, 1, self.radix, -1).transpose(1, 2)
        attn = torch.softmax(attn, dim=1).reshape(b, self.radix, rc // self.radix, 1, 1)
        return (x * attn).sum(dim=1)


class _ResNestBottleneck(nn.Module):
    def __init__(self, inplanes, planes, stride, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = _SplitAttn(planes)
        self.avd_last = nn.AvgPool2d(3, stride, padding=1) if stride > 1 else None
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = downsample

    def forward(self, x):
        y = self.conv2(F.relu(self.bn1(self.conv1(x))))
        if self.avd_last is not None:
            y = self.avd_last(y)
        y = self.bn3(self.conv3(y))
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


class _TimmResNet(nn.Module):
    """timm's ResNet: seresnext50_32x4d (plain stem), resnest50d / resnest101e (deep stem, average-pool
    shortcuts, split-attention blocks)."""

    def __init__(self, layers, num_classes, resnest=False, stem_width=64, groups=1, base_width=64, se=False):
        super().__init__()
        if resnest:
            inplanes = stem_width * 2
            self.conv1 = nn.Sequential(
                nn.Conv2d(3, stem_width, 3, 2, 1, bias=False), nn.BatchNorm2d(stem_width), nn.ReLU(inplace=True),
                nn.Conv2d(stem_width, stem_width, 3, 1, 1, bias=False), nn.BatchNorm2d(stem_width),
                nn.ReLU(inplace=True), nn.Conv2d(stem_width, inplanes, 3, 1, 1, bias=False))
        else:
            inplanes = 64
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(inplanes)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        for stage, (planes, blocks) in enumerate(zip((64, 128, 256, 512), layers)):
            stride = 1 if stage == 0 else 2
            seq = []
            for i in range(blocks):
                s = stride if i == 0 else 1
                down = None
                if i == 0 and (s != 1 or inplanes != planes * 4):
                    if resnest:
                        pool = (nn.Identity() if s == 1 else
                                nn.AvgPool2d(2, s, ceil_mode=True, count_include_pad=False))
                        down = nn.Sequential(pool, nn.Conv2d(inplanes, planes * 4, 1, bias=False),
                                             nn.BatchNorm2d(planes * 4))
                    else:
                        down = nn.Sequential(nn.Conv2d(inplanes, planes * 4, 1, s, bias=False),
                                             nn.BatchNorm2d(planes * 4))
                if resnest:
                    seq.append(_ResNestBottleneck(inplanes, planes, s, down))
                else:
                    seq.append(_Bottleneck(inplanes, planes, s, down, groups, base_width, se))
                inplanes = planes * 4
            setattr(self, "layer%d" % (stage + 1), nn.Sequential(*seq))
        self.fc = nn.Linear(inplanes, num_classes)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(x.mean((2, 3)))


class _Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = ((q * (d // self.heads) ** -0.5) @ k.transpose(-2, -1)).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, d))


class _Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class _Block(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = _Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = _Mlp(dim, hidden)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class _PatchEmbed(nn.Module):
    def __init__(self, dim, patch=16):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, patch, patch)


class _TimmViT(nn.Module):
    """timm's VisionTransformer (class token, learned position embedding, pre-norm blocks, token head)."""

    def __init__(self, num_classes, image_size=224, dim=384, depth=12, heads=6, hidden=1536):
        super().__init__()
        self.patch_embed = _PatchEmbed(dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, (image_size // 16) ** 2 + 1, dim))
        self.blocks = nn.Sequential(*[_Block(dim, heads, hidden) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.patch_embed.proj(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        x = self.norm(self.blocks(x))
        return self.head(x[:, 0])


FALLBACKS = {
    "seresnext50_32x4d": lambda n, size: _TimmResNet([3, 4, 6, 3], n, groups=32, base_width=4, se=True),
    "resnest50d": lambda n, size: _TimmResNet([3, 4, 6, 3], n, resnest=True, stem_width=32),
    "resnest101e": lambda n, size: _TimmResNet([3, 4, 23, 3], n, resnest=True, stem_width=64),
    "vit_small_patch16_224": lambda n, size: _TimmViT(n, size),
}
