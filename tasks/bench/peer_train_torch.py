#!/usr/bin/env python3
"""PyTorch peer of the `train-step` bench case (tasks/bench/train.ts).

Runs the SAME training iteration as the toolkit's `trainStep` for one method at the sizes of a
training config (image size, batch, widths, text length and dim, optimiser), on generated data
(images N(0, 1), M_hc / M_bc = nested discs of radius S/5 and S/3.5 around a jittered centre, text
tokens N(0, 1)), and prints one JSON object: median / min / max ms per iteration over `--steps`
iterations after `--warmup`, process CPU ms, threads, parameter count per network.

Methods (variant `code`, the released scripts; trainers/gaze_sup.py of jingkunchen/FGI):
- fullsup:    BasicUNet (unet widths, 1 logit), BCE-with-logits against the mask.
- gaze1:      the same UNet, partial CE (BCE on the pixels where M_hc == M_bc) against the 0.5 level.
- gazemedseg: K BasicUNets + 1x1 classifiers, BCE per level + consistencyWeight * the propagation
              consistency (feature propagation: 5x5 unfold, dilation 2, relu(dot) softmax).
- fgi:        teacher (text fusion at x1..x4 + DistillProj) on the clean image + text, student
              (DistillProj + adapter) on the DARM-masked image; L_T = BCE(z_T[:,1], M_hc),
              L_S = BCE(z_S[:,1], masked M_bc), AFC = 0.5 mean_s mean(1 - cos(S_s, sg(D_s))),
              CWC (crc_loss) both ways on CutMix(clean image + U(-.2, .2)) with a fresh noise,
              permutation, lambda and per-sample box centres per direction (as released);
              DARM on the host (numpy): shuffled uncertain pixels (M_hc != M_bc), odd windows
              centre +- block // 2 until ratio * #uncertain pixels are covered (as released);
              L = L_T + L_S + w (CWC_T + CWC_S) + afcWeight w AFC; two SGD-Nesterov optimisers.

The networks are the torch.nn definitions of tests/models/torch/reference.py, which
tests/models/torch_reference_test.ts checks weight for weight against the toolkit's models; the
network configurations are derived from the training config here the way
lib/train/methods/networks.ts derives them, and `--expect-params` (JSON {network: count}, the
toolkit's counts) makes the script fail when a count differs.

usage: peer_train_torch.py --config CONFIG.json --method M [--threads N] [--warmup 3] [--steps 20]
                           [--expect-params JSON] [--channels 3] [--lr 1e-3]
Needs python3 with torch (Debian python3-torch) and numpy.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "models", "torch"))
from reference import GazeMedSeg, Student, Teacher, UNet  # noqa: E402

CODE_SWITCHES = {
    "fusion": "none",
    "teacherLoss": "bce",
    "darmSource": "gaze",
    "cwcConfidence": "source",
    "schedule": "joint",
    "optimizer": "sgd",
}
PAPER_SWITCHES = {
    "fusion": "learnable",
    "teacherLoss": "partial-ce",
    "darmSource": "prediction",
    "cwcConfidence": "both",
    "schedule": "teacher-first",
    "optimizer": "adam",
}
METHOD_NETWORKS = {"fullsup": ["unet"], "gaze1": ["unet"], "gazemedseg": ["gazemedseg"], "fgi": ["teacher", "student"]}


def switches(config):
    base = PAPER_SWITCHES if config.get("variant") == "paper" else CODE_SWITCHES
    return {**base, **config.get("switches", {})}


def network_config(name, config, channels):
    """As networkConfig in lib/train/methods/networks.ts."""
    m = config["models"]
    if name == "teacher":
        return {
            "kind": "teacher",
            "inChannels": channels,
            "features": m["teacher"],
            "inputSize": config["imageSize"],
            "textLen": config["text"]["length"],
            "textDim": config["text"]["dim"],
            "heads": 8,
            "fusion": switches(config)["fusion"],
            "text": config.get("ablation", {}).get("text", True),
            "numClasses": 2,
        }
    if name == "student":
        return {"kind": "student", "inChannels": channels, "features": m["student"], "teacherFeatures": m["teacher"], "numClasses": 2}
    if name == "unet":
        return {"kind": "unet", "inChannels": channels, "features": m["unet"], "numClasses": 1}
    if name == "gazemedseg":
        return {"kind": "gazemedseg", "inChannels": channels, "features": m["unet"], "levels": len(config["gaze"]["levels"])}
    raise ValueError(f"unknown network {name}")


def build(name, config, channels):
    cfg = network_config(name, config, channels)
    return {"teacher": Teacher, "student": Student, "unet": UNet, "gazemedseg": GazeMedSeg}[cfg["kind"]](cfg)


def ramp_weight(config, t):
    """Sigmoid ramp-up exp(-5 (1 - t / L)^2), 1 after L (lib/losses/ramp_up.ts)."""
    length = config.get("rampUp", {}).get("length", 0)
    if length <= 0:
        return 1.0
    p = 1.0 - min(max(t, 0), length) / length
    return float(math.exp(-5.0 * p * p))


# ---- data -------------------------------------------------------------------------------------


def synthetic_batch(config, channels, rng):
    b, s = config["batchSize"], config["imageSize"]
    yy, xx = np.mgrid[0:s, 0:s]

    def discs(r, centres):
        return np.stack([((xx - cx) ** 2 + (yy - cy) ** 2 <= r * r) for cx, cy in centres]).astype(np.float32)[:, None]

    centres = [(s / 2 + rng.uniform(-s / 8, s / 8), s / 2 + rng.uniform(-s / 8, s / 8)) for _ in range(b)]
    mhc, mbc = discs(s / 5, centres), discs(s / 3.5, centres)
    text_len, text_dim = config["text"]["length"], config["text"]["dim"]
    return {
        "image": torch.from_numpy(rng.standard_normal((b, channels, s, s)).astype(np.float32)),
        "mask": torch.from_numpy(mhc.copy()),
        "mhc": torch.from_numpy(mhc),
        "mbc": torch.from_numpy(mbc),
        "levels": [torch.from_numpy(mhc.copy()), torch.from_numpy(mbc.copy())],
        "text": torch.from_numpy(rng.standard_normal((b, text_len, text_dim)).astype(np.float32)),
    }


# ---- FGI pieces, following trainers/gaze_sup.py -------------------------------------------------


def darm_numpy(image, mhc, mbc, ratio, block_range, rng):
    """mask_uncertain_regions_with_numpy on host arrays: (B,C,H,W) image, (B,1,H,W) masks."""
    _, _, h, w = image.shape
    out_image, out_mask = image.copy(), mbc.copy()
    coords = np.argwhere(mbc[:, 0] != mhc[:, 0])
    total = coords.shape[0]
    if total == 0:
        return out_image, out_mask
    target = int(total * ratio)
    rng.shuffle(coords)
    masked = 0
    for b, cy, cx in coords:
        if masked >= target:
            break
        bs = rng.integers(block_range[0], block_range[1] + 1)
        y0, y1 = max(0, cy - bs // 2), min(h, cy + bs // 2 + 1)
        x0, x1 = max(0, cx - bs // 2), min(w, cx + bs // 2 + 1)
        out_image[b, :, y0:y1, x0:x1] = 0
        out_mask[b, 0, y0:y1, x0:x1] = 0
        masked += (y1 - y0) * (x1 - x0)
    return out_image, out_mask


def cut_mix(volume, target, alpha, rng):
    """GazeSupTrainer.cut_mix: one permutation and lambda, a box centre per sample."""
    b, _, h, w = volume.shape
    mix_v, mix_t = volume.clone(), target.clone()
    perm = torch.from_numpy(rng.permutation(b))
    lam = rng.beta(alpha, alpha)
    cut = np.sqrt(1.0 - lam)
    cut_h, cut_w = int(h * cut), int(w * cut)
    cy = rng.integers(int(h / 8), h, size=b)
    cx = rng.integers(int(w / 8), w, size=b)
    y0, y1 = np.clip(cy - cut_h // 2, 0, h), np.clip(cy + cut_h // 2, 0, h)
    x0, x1 = np.clip(cx - cut_w // 2, 0, w), np.clip(cx + cut_w // 2, 0, w)
    for i in range(b):
        j = int(perm[i])
        mix_v[i, :, y0[i] : y1[i], x0[i] : x1[i]] = volume[j, :, y0[i] : y1[i], x0[i] : x1[i]]
        mix_t[i, :, y0[i] : y1[i], x0[i] : x1[i]] = target[j, :, y0[i] : y1[i], x0[i] : x1[i]]
    return mix_v, mix_t


def crc_loss(inputs, targets, threshold=0.8, neg_threshold=0.2):
    """The released CWC loss (crc_loss) on 2-channel logits, as masked means.

    Same value as the released code (mean over the confident pixels of each set; an empty set
    adds 0), written as sum(term * set) / max(|set|, 1) like lib/losses/cwc.ts, so that the
    backward pass always runs through the CWC input pass: the released code skips it when no pixel
    is confident (freshly initialised networks), which is not the iteration a run spends its time on.
    """
    targets_prob = F.softmax(targets, dim=1)
    pos_weight, y_tilde = targets_prob.max(1)
    pos_mask = (pos_weight >= threshold).float()
    neg_weight = targets_prob.min(1)[0]
    neg_mask = (neg_weight < neg_threshold).float()
    positive = F.nll_loss(torch.log_softmax(inputs, dim=1), y_tilde, reduction="none") * pos_weight
    inverse = torch.clamp(1 - F.softmax(inputs, dim=1), min=1e-6, max=1.0)
    negative = F.nll_loss(inverse.log(), 1 - y_tilde, reduction="none") * neg_weight
    return (positive * pos_mask).sum() / pos_mask.sum().clamp(min=1) + (negative * neg_mask).sum() / neg_mask.sum().clamp(min=1)


def afc_loss(student_feats, teacher_feats, scale=0.5):
    total = 0
    for s, t in zip(student_feats, teacher_feats):
        total = total + torch.mean(1 - F.cosine_similarity(s, t.detach(), dim=1, eps=1e-6))
    return scale * total / len(teacher_feats)


def gazemedseg_consistency(level_logits, prop_logits):
    """lib/losses/gazemedseg_consistency.ts, mode `prop`."""
    p = [torch.sigmoid(z) for z in level_logits]
    q = [torch.sigmoid(z) for z in prop_logits]
    k = len(p)
    total = 0
    for i in range(k):
        parts = []
        for j in range(k):
            if j == i:
                continue
            pj = p[j].detach()
            parts.append(torch.mean(q[i] * pj + (1 - q[i]) * (1 - pj)))
        total = total - sum(parts) / len(parts)
    return total


# ---- one iteration per method -------------------------------------------------------------------


def make_method(name, config, channels, lr):
    o = config["optimizer"]
    nets = {n: build(n, config, channels) for n in METHOD_NETWORKS[name]}
    for m in nets.values():
        m.train()
    momentum = o.get("gazeMedSegMomentum", 0.99) if name == "gazemedseg" else o["momentum"]
    if switches(config)["optimizer"] != "sgd" and name == "fgi":
        raise SystemExit("peer_train_torch.py: only the SGD optimiser (variant code) is implemented")
    opts = {
        n: torch.optim.SGD(m.parameters(), lr=lr, momentum=momentum, nesterov=o["nesterov"], weight_decay=o["weightDecay"])
        for n, m in nets.items()
    }
    return nets, opts


def fgi_loss(nets, batch, config, it, rng):
    sw, f = switches(config), config["fgi"]
    if any(sw[k] != v for k, v in CODE_SWITCHES.items()):
        raise SystemExit(f"peer_train_torch.py: fgi is implemented for the code variant's switches only, got {sw}")
    ab = config.get("ablation", {})
    if not all(ab.get(k, True) for k in ("text", "afc", "cwc", "darm")):
        raise SystemExit("peer_train_torch.py: fgi ablations are not implemented (all components must be on)")
    teacher, student = nets["teacher"], nets["student"]
    image, text = batch["image"], batch["text"]
    d = f["darm"]
    mi, mm = darm_numpy(image.numpy(), batch["mhc"].numpy(), batch["mbc"].numpy(), d["ratio"], (d["minBlock"], d["maxBlock"]), rng)
    masked_image, masked_mask = torch.from_numpy(mi), torch.from_numpy(mm)
    out1 = teacher(image, text)
    out2 = student(masked_image)
    loss_t = F.binary_cross_entropy_with_logits(out1["logits"][:, 1:2], batch["mhc"])
    loss_s = F.binary_cross_entropy_with_logits(out2["logits"][:, 1:2], masked_mask)
    loss_feat = afc_loss(out2["aux"], out1["aux"])
    w = ramp_weight(config, it)
    amp = f["noise"]
    noise = torch.zeros_like(image).uniform_(-amp, amp)
    cm_in1, cm_target1 = cut_mix(image + noise, out2["logits"].detach(), f["cutMixAlpha"], rng)
    crc1 = crc_loss(teacher(cm_in1, text)["logits"], cm_target1, f["tauPos"], f["tauNeg"])
    noise = torch.zeros_like(image).uniform_(-amp, amp)
    cm_in2, cm_target2 = cut_mix(image + noise, out1["logits"].detach(), f["cutMixAlpha"], rng)
    crc2 = crc_loss(student(cm_in2)["logits"], cm_target2, f["tauPos"], f["tauNeg"])
    loss = loss_t + loss_s + w * (crc1 + crc2) + f["afcWeight"] * w * loss_feat
    return loss, {"L_T": loss_t, "L_S": loss_s, "CWC_T": crc1, "CWC_S": crc2, "AFC": loss_feat}


def method_loss(name, nets, batch, config, it, rng):
    if name == "fullsup":
        loss = F.binary_cross_entropy_with_logits(nets["unet"](batch["image"])["logits"], batch["mask"])
        return loss, {"BCE": loss}
    if name == "gaze1":
        z = nets["unet"](batch["image"])["logits"]
        if config.get("gaze1", {}).get("loss", "partial-ce") != "partial-ce":
            loss = F.binary_cross_entropy_with_logits(z, batch["levels"][0])
            return loss, {"BCE": loss}
        labelled = (batch["mhc"] == batch["mbc"]).float()
        ce = F.binary_cross_entropy_with_logits(z, batch["levels"][0], reduction="none")
        loss = (ce * labelled).sum() / torch.clamp(labelled.sum(), min=1)
        return loss, {"PCE": loss}
    if name == "gazemedseg":
        g = config.get("gazemedseg", {})
        if g.get("consistencyMode", "prop") != "prop":
            raise SystemExit("peer_train_torch.py: gazemedseg is implemented for consistencyMode 'prop' only")
        out = nets["gazemedseg"](batch["image"])
        k = len(config["gaze"]["levels"])
        levels, prop = out["aux"][:k], out["aux"][k:]
        terms = {f"BCE_{i}": F.binary_cross_entropy_with_logits(z, batch["levels"][i]) for i, z in enumerate(levels)}
        terms["CONS"] = gazemedseg_consistency(levels, prop)
        loss = sum(terms[f"BCE_{i}"] for i in range(k)) + g.get("consistencyWeight", 3) * terms["CONS"]
        return loss, terms
    if name == "fgi":
        return fgi_loss(nets, batch, config, it, rng)
    raise SystemExit(f"peer_train_torch.py: unknown method '{name}' (fullsup, gaze1, gazemedseg, fgi)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", required=True, help="training config JSON (e.g. configs/kvasir.cpu.json)")
    ap.add_argument("--method", required=True, choices=sorted(METHOD_NETWORKS))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--channels", type=int, default=3)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--expect-params", default=None, help='JSON {"network": count} to check against')
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    with open(a.config) as fh:
        config = json.load(fh)
    torch.set_num_threads(max(1, a.threads))
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    nets, opts = make_method(a.method, config, a.channels, a.lr)
    params = {n: sum(p.numel() for p in m.parameters()) for n, m in nets.items()}
    if a.expect_params:
        want = json.loads(a.expect_params)
        bad = {n: [params.get(n), c] for n, c in want.items() if params.get(n) != c}
        if bad or set(want) != set(params):
            raise SystemExit(f"peer_train_torch.py: parameter counts differ (peer, toolkit): {bad or [params, want]}")
    batch = synthetic_batch(config, a.channels, rng)
    times, cpu_times, last = [], [], {}
    for i in range(a.warmup + a.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        for m in nets.values():
            m.zero_grad(set_to_none=True)
        loss, terms = method_loss(a.method, nets, batch, config, i, rng)
        loss.backward()
        for o in opts.values():
            o.step()
        last = {k: float(v.item()) for k, v in {"total": loss, **terms}.items()}
        dt, dc = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
        if i >= a.warmup:
            times.append(dt)
            cpu_times.append(dc)
    print(json.dumps({
        "framework": f"pytorch {torch.__version__}",
        "method": a.method,
        "threads": torch.get_num_threads(),
        "params": params,
        "warmup": a.warmup,
        "steps": a.steps,
        "median_ms": round(statistics.median(times), 1) if times else None,
        "min_ms": round(min(times), 1) if times else None,
        "max_ms": round(max(times), 1) if times else None,
        "median_cpu_ms": round(statistics.median(cpu_times), 1) if cpu_times else None,
        "losses": {k: round(v, 5) for k, v in last.items()},
    }))


if __name__ == "__main__":
    main()
