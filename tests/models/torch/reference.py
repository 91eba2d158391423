#!/usr/bin/env python3
"""PyTorch reference for tests/models/torch_reference_test.ts.

Builds the toolkit's models from plain torch.nn modules laid out like the reference code
(MONAI BasicUNet: conv_0 / down_i.convs / upcat_i.upsample.deconv / upcat_i.convs / final_conv,
each Convolution = conv + adn.N (GroupNorm 4) + adn.A (LeakyReLU 0.1), skip concatenated BEFORE
the upsampled map, upcat_1 without halving; FGI fusion with nn.MultiheadAttention; DistillProj /
adapter / head as nn.Sequential; GazeMedSeg feature propagation with F.unfold), loads the toolkit's
safetensors checkpoint with load_state_dict (only BatchNorm num_batches_tracked may be missing),
runs the forward pass (eval) and a training-mode forward + backward, and prints a JSON report of
the largest differences against the toolkit's outputs and gradients. Needs torch (Debian
python3-torch); numpy only for reading the files.

usage: reference.py KIND DIR        (DIR holds model.safetensors, model.json, io.safetensors, grads.safetensors)
       reference.py --count CONFIGS   (prints {"params": [N, ...]} for a JSON list of model configs)
"""
import json
import struct
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        assert e["dtype"] == "F32", e["dtype"]
        arr = np.frombuffer(data[8 + n + b : 8 + n + end], dtype="<f4").reshape(e["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


def convolution(ci, co):
    return nn.Sequential(
        OrderedDict(
            conv=nn.Conv2d(ci, co, 3, padding=1),
            adn=nn.Sequential(OrderedDict(N=nn.GroupNorm(4, co), A=nn.LeakyReLU(0.1))),
        )
    )


def two_conv(ci, co):
    return nn.Sequential(OrderedDict(conv_0=convolution(ci, co), conv_1=convolution(co, co)))


class UpCat(nn.Module):
    def __init__(self, ci, cat, co, halves=True):
        super().__init__()
        up = ci // 2 if halves else ci
        self.upsample = nn.Sequential(OrderedDict(deconv=nn.ConvTranspose2d(ci, up, 2, stride=2)))
        self.convs = two_conv(cat + up, co)

    def forward(self, x, skip):
        return self.convs(torch.cat([skip, self.upsample(x)], dim=1))


class BasicUNet(nn.Module):
    def __init__(self, cin, f, out):
        super().__init__()
        self.conv_0 = two_conv(cin, f[0])
        for i in range(1, 5):
            setattr(self, f"down_{i}", nn.Sequential(OrderedDict(max_pooling=nn.MaxPool2d(2), convs=two_conv(f[i - 1], f[i]))))
        self.upcat_4 = UpCat(f[4], f[3], f[3])
        self.upcat_3 = UpCat(f[3], f[2], f[2])
        self.upcat_2 = UpCat(f[2], f[1], f[1])
        self.upcat_1 = UpCat(f[1], f[0], f[5], halves=False)
        self.final_conv = nn.Conv2d(f[5], out, 1)

    def encode(self, x):
        xs = [self.conv_0(x)]
        for i in range(1, 5):
            xs.append(getattr(self, f"down_{i}")(xs[-1]))
        return xs

    def decode(self, xs):
        u = self.upcat_4(xs[4], xs[3])
        u = self.upcat_3(u, xs[2])
        u = self.upcat_2(u, xs[1])
        u = self.upcat_1(u, xs[0])
        return self.final_conv(u)


class Fusion(nn.Module):
    def __init__(self, c, tokens, d, heads, learnable):
        super().__init__()
        self.pos_embed = nn.Parameter(torch.zeros(1, tokens, c))
        self.text_proj = nn.Linear(d, c)
        self.attn = nn.MultiheadAttention(c, heads, batch_first=True)
        self.norm = nn.LayerNorm(c)
        self.learnable = learnable
        if learnable:
            self.register_parameter("lambda", nn.Parameter(torch.ones(1)))

    def forward(self, x, text):
        b, c, h, w = x.shape
        q = x.flatten(2).transpose(1, 2) + self.pos_embed
        t = self.text_proj(text)
        a, weights = self.attn(q, t, t, need_weights=True, average_attn_weights=True)
        z = self.norm(q + a).transpose(1, 2).reshape(b, c, h, w)
        lam = getattr(self, "lambda") if self.learnable else 1.0
        return x + lam * z, weights


def distill_proj(c):
    return nn.Sequential(nn.Conv2d(c, c, 1), nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, c, 1), nn.BatchNorm2d(c))


def head(c):
    return nn.Sequential(nn.Conv2d(c, c, 1), nn.LeakyReLU(0.1), nn.Conv2d(c, c, 1))


class Teacher(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        f, fd = cfg["features"], cfg.get("featDim") or cfg["features"][5]
        self.encoder = BasicUNet(cfg["inChannels"], f, fd)
        self.text = cfg.get("text", True)
        if self.text:
            self.fusion = nn.ModuleList(
                Fusion(f[s], (cfg["inputSize"] // 2**s) ** 2, cfg["textDim"], cfg.get("heads", 8), cfg.get("fusion") == "learnable")
                for s in range(1, 5)
            )
        self.distill = nn.ModuleList(distill_proj(f[s]) for s in range(1, 5))
        self.head = head(fd)
        self.classifier = nn.Conv2d(fd, cfg.get("numClasses", 2), 1)

    def forward(self, image, text):
        xs = self.encoder.encode(image)
        dec, distill, attention = [xs[0]], [], []
        for s in range(1, 5):
            fused = xs[s]
            if self.text:
                fused, w = self.fusion[s - 1](xs[s], text)
                attention.append(w)
            d = self.distill[s - 1](fused)
            distill.append(d)
            dec.append(xs[s] + d)
        feat = self.encoder.decode(dec)
        return {"logits": self.classifier(self.head(feat)), "aux": distill, "attention": attention}


class Student(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        f, t, fd = cfg["features"], cfg["teacherFeatures"], cfg.get("featDim") or cfg["features"][5]
        self.encoder = BasicUNet(cfg["inChannels"], f, fd)
        self.distill = nn.ModuleList(distill_proj(f[s]) for s in range(1, 5))
        self.adapter = nn.ModuleList(nn.Sequential(nn.Conv2d(f[s], t[s], 1), nn.BatchNorm2d(t[s]), nn.ReLU()) for s in range(1, 5))
        self.head = head(fd)
        self.classifier = nn.Conv2d(fd, cfg.get("numClasses", 2), 1)

    def forward(self, image, text=None):
        xs = self.encoder.encode(image)
        aux = [self.adapter[s - 1](self.distill[s - 1](xs[s])) for s in range(1, 5)]
        feat = self.encoder.decode(xs)
        return {"logits": self.classifier(self.head(feat)), "aux": aux, "attention": []}


def feature_propagate(feat):
    # GazeMedSeg: unfold 5x5, dilation 2, SAME zero padding; relu(dot) then softmax over the 25.
    b, c, h, w = feat.shape
    nb = F.unfold(feat, kernel_size=5, padding=4, dilation=2).reshape(b, c, -1, h, w)
    corr = torch.softmax(torch.clamp(torch.einsum("bchw,bcnhw->bhwn", feat, nb), min=0), dim=-1)
    return torch.einsum("bcnhw,bhwn->bchw", nb, corr)


class Level(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        fd = cfg.get("featDim") or cfg["features"][5]
        self.encoder = BasicUNet(cfg["inChannels"], cfg["features"], fd)
        self.classifier = nn.Conv2d(fd, 1, 1)


class GazeMedSeg(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.model = nn.ModuleList(Level(cfg) for _ in range(cfg.get("levels", 2)))

    def forward(self, image, text=None):
        logits, prop = [], []
        for m in self.model:
            feat = m.encoder.decode(m.encoder.encode(image))
            logits.append(m.classifier(feat))
            prop.append(m.classifier(feature_propagate(feat)))
        return {"logits": torch.stack(logits).mean(0), "aux": logits + prop, "attention": []}


class UNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        fd = cfg.get("featDim") or cfg["features"][5]
        self.encoder = BasicUNet(cfg["inChannels"], cfg["features"], fd)
        if cfg.get("head"):
            self.head = head(fd)
        self.classifier = nn.Conv2d(fd, cfg.get("numClasses", 1), 1)

    def forward(self, image, text=None):
        feat = self.encoder.decode(self.encoder.encode(image))
        h = self.head(feat) if hasattr(self, "head") else feat
        return {"logits": self.classifier(h), "aux": [], "attention": []}


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def nhwc(t):
    return t.permute(0, 2, 3, 1) if t.dim() == 4 else t


def max_rel(a, b, floor=1e-12):
    a, b = a.detach().double(), b.detach().double()
    return float((a - b).abs().max() / max(float(b.abs().max()), floor))


MODELS = {"teacher": "Teacher", "student": "Student", "gazemedseg": "GazeMedSeg", "unet": "UNet"}


def main():
    if sys.argv[1] == "--count":
        counts = []
        for cfg in json.loads(sys.argv[2]):
            with torch.device("meta") if hasattr(torch, "device") and hasattr(torch.device, "__enter__") else _nullcontext():
                model = globals()[MODELS[cfg["kind"]]](cfg)
            counts.append(sum(p.numel() for p in model.parameters()))
        print(json.dumps({"params": counts}))
        return
    kind, folder = sys.argv[1], sys.argv[2]
    torch.manual_seed(0)
    cfg = json.load(open(f"{folder}/model.json"))["config"]
    model = {"teacher": Teacher, "student": Student, "gazemedseg": GazeMedSeg, "unet": UNet}[kind](cfg)
    state = read_safetensors(f"{folder}/model.safetensors")
    missing, unexpected = model.load_state_dict(state, strict=False)
    io = read_safetensors(f"{folder}/io.safetensors")
    image = io["image"].permute(0, 3, 1, 2).contiguous()
    text = io.get("text")
    report = {
        "torch": torch.__version__,
        "params": sum(p.numel() for p in model.parameters()),
        "missing": [m for m in missing if not m.endswith("num_batches_tracked")],
        "unexpected": list(unexpected),
        "diff": {},
    }
    model.eval()
    with torch.no_grad():
        out = model(image, text)
    report["diff"]["eval.logits"] = max_rel(nhwc(out["logits"]), io["eval.logits"])
    for i, a in enumerate(out["aux"]):
        report["diff"][f"eval.aux.{i}"] = max_rel(nhwc(a), io[f"eval.aux.{i}"])
    for i, a in enumerate(out["attention"]):
        report["diff"][f"eval.attention.{i}"] = max_rel(a, io[f"eval.attention.{i}"])
    model.train()
    out = model(image, text)
    loss = (nhwc(out["logits"]) * io["r.logits"]).sum()
    for i, a in enumerate(out["aux"]):
        loss = loss + (nhwc(a) * io[f"r.aux.{i}"]).sum()
    loss.backward()
    report["diff"]["train.logits"] = max_rel(nhwc(out["logits"]), io["train.logits"])
    grads = read_safetensors(f"{folder}/grads.safetensors")
    gmax = max(float(p.grad.abs().max()) for p in model.parameters() if p.grad is not None)
    worst, worst_name, no_grad = 0.0, "", []
    for name, p in model.named_parameters():
        if p.grad is None:
            no_grad.append(name)
            continue
        e = max_rel(grads[name], p.grad, 1e-3 * gmax)
        if e > worst:
            worst, worst_name = e, name
    report["grad_worst"], report["grad_worst_name"], report["no_grad"] = worst, worst_name, no_grad
    for name, buf in model.named_buffers():
        if name.endswith("running_mean") or name.endswith("running_var"):
            e = max_rel(io[f"state.{name}"], buf)
            report["diff"]["running_stats"] = max(report["diff"].get("running_stats", 0.0), e)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
