#!/usr/bin/env python3
"""PyTorch peer of the `unet-step` bench case (tasks/bench/unet_step.ts).

Same model and step: BasicUNet features (16,32,64,128,256,16) with 3x3 convs (bias),
GroupNorm(4), LeakyReLU(0.1), 2x2 max-pool down, 2x2 stride-2 transposed conv up
(halving except in the last up-block), skip concatenation, a 1x1 conv to 1 channel;
input [4,3,128,128], BCE-with-logits against a fixed random mask, SGD momentum 0.9,
lr 1e-2. Median ms of 10 steps after 2 warm-ups, on `--threads` threads (default 1).

Prints one JSON object on stdout. Needs python3 with torch (Debian python3-torch).
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn


def two_conv(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=True),
        nn.GroupNorm(4, cout),
        nn.LeakyReLU(0.1),
        nn.Conv2d(cout, cout, 3, padding=1, bias=True),
        nn.GroupNorm(4, cout),
        nn.LeakyReLU(0.1),
    )


class UpCat(nn.Module):
    def __init__(self, cin, ccat, cout, halves=True):
        super().__init__()
        up = cin // 2 if halves else cin
        self.up = nn.ConvTranspose2d(cin, up, 2, stride=2)
        self.conv = two_conv(ccat + up, cout)

    def forward(self, x, skip):
        return self.conv(torch.cat([skip, self.up(x)], dim=1))


class BasicUNet(nn.Module):
    def __init__(self, fea=(16, 32, 64, 128, 256, 16), cin=3, cout=1):
        super().__init__()
        self.conv0 = two_conv(cin, fea[0])
        self.downs = nn.ModuleList([two_conv(fea[i], fea[i + 1]) for i in range(4)])
        self.up4 = UpCat(fea[4], fea[3], fea[3])
        self.up3 = UpCat(fea[3], fea[2], fea[2])
        self.up2 = UpCat(fea[2], fea[1], fea[1])
        self.up1 = UpCat(fea[1], fea[0], fea[5], halves=False)
        self.final = nn.Conv2d(fea[5], cout, 1)

    def forward(self, x):
        x0 = self.conv0(x)
        xs = [x0]
        for d in self.downs:
            xs.append(d(nn.functional.max_pool2d(xs[-1], 2)))
        u = self.up4(xs[4], xs[3])
        u = self.up3(u, xs[2])
        u = self.up2(u, xs[1])
        u = self.up1(u, xs[0])
        return self.final(u)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1234)
    model = BasicUNet()
    x = torch.rand(4, 3, 128, 128)
    mask = (torch.rand(4, 1, 128, 128) < 0.5).float()
    opt = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    loss_fn = nn.BCEWithLogitsLoss()
    times = []
    cpu_times = []
    loss = None
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        c0 = time.process_time()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), mask)
        loss.backward()
        opt.step()
        v = loss.item()
        dt = (time.perf_counter() - t0) * 1000
        dc = (time.process_time() - c0) * 1000
        if i >= a.warmup:
            times.append(dt)
            cpu_times.append(dc)
    print(json.dumps({
        "framework": f"pytorch {torch.__version__}",
        "threads": torch.get_num_threads(),
        "params": sum(p.numel() for p in model.parameters()),
        "median_ms": round(statistics.median(times), 1),
        "min_ms": round(min(times), 1),
        "max_ms": round(max(times), 1),
        "median_cpu_ms": round(statistics.median(cpu_times), 1),
        "final_loss": round(v, 5),
    }))


if __name__ == "__main__":
    main()
