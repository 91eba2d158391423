// Building blocks against brute-force references written from the PyTorch definitions, plus
// finite-difference gradient checks (cpu backend, float32).
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals } from "../assert.ts";
import { selectBackend } from "../../lib/backend/mod.ts";
import { Rng } from "../../lib/core/mod.ts";
import {
  batchNorm,
  conv2d,
  convTranspose2x2,
  createParamStore,
  featurePropagation,
  getParam,
  groupNorm,
  initBatchNorm,
  initConv2d,
  initConvTranspose2x2,
  initGroupNorm,
  initLayerNorm,
  initMultiHeadAttention,
  initTextFusion,
  layerNorm,
  multiHeadAttention,
  type ParamStore,
  stopGradient,
  textFusion,
} from "../../lib/models/mod.ts";
import { checkGradients, noLeak, randomTensor, randomVariable } from "./grad_check.ts";

await selectBackend("cpu", { quiet: true });

function disposeStore(store: ParamStore) {
  for (const v of [...store.trainable.values(), ...store.state.values()]) v.dispose();
}

function randomizeStore(store: ParamStore, rng: Rng, scale = 0.5) {
  for (const v of store.trainable.values()) {
    tf.tidy(() => v.assign(tf.add(v, randomTensor(v.shape, rng, scale))));
  }
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string) {
  assertEquals(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])))) {
      throw new Error(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

Deno.test("groupNorm matches a brute-force reference and its gradients", async () => {
  await noLeak("groupNorm", () => {
    const rng = new Rng(1);
    const [B, H, W, C, G] = [2, 3, 3, 8, 4];
    const store = createParamStore();
    initGroupNorm(store, "gn", { channels: C });
    randomizeStore(store, rng);
    const x = randomVariable([B, H, W, C], rng, 2);
    const y = tf.tidy(() => groupNorm(x as unknown as tf.Tensor4D, { store, name: "gn", groups: G }).dataSync());
    const xv = x.dataSync(),
      gamma = getParam(store, "gn.weight").dataSync(),
      beta = getParam(store, "gn.bias").dataSync();
    const ref = new Float32Array(xv.length);
    const cg = C / G;
    for (let b = 0; b < B; b++) {
      for (let g = 0; g < G; g++) {
        const idx: number[] = [];
        for (let p = 0; p < H * W; p++) for (let c = g * cg; c < (g + 1) * cg; c++) idx.push((b * H * W + p) * C + c);
        const mean = idx.reduce((a, i) => a + xv[i], 0) / idx.length;
        const vr = idx.reduce((a, i) => a + (xv[i] - mean) ** 2, 0) / idx.length;
        for (const i of idx) ref[i] = ((xv[i] - mean) / Math.sqrt(vr + 1e-5)) * gamma[i % C] + beta[i % C];
      }
    }
    assertClose(y, ref, 1e-4, "groupNorm");
    const r = randomTensor([B, H, W, C], rng);
    const rep = checkGradients(
      () => tf.sum(tf.mul(groupNorm(x as unknown as tf.Tensor4D, { store, name: "gn", groups: G }), r)) as tf.Scalar,
      { x, weight: store.trainable.get("gn.weight")!, bias: store.trainable.get("gn.bias")! },
    );
    assertEquals(rep.failures, []);
    assert(rep.maxAbsGrad > 0.1);
    tf.dispose([x, r]);
    disposeStore(store);
  });
});

Deno.test("batchNorm: batch statistics, running-statistics update (momentum 0.1, unbiased), eval mode", async () => {
  await noLeak("batchNorm", () => {
    const store = createParamStore();
    initBatchNorm(store, "bn", { channels: 2 });
    // Channel 0 values 1..4, channel 1 values 0, 0, 0, 8 over B*H*W = 4 positions.
    const x = tf.tensor4d([1, 0, 2, 0, 3, 0, 4, 8], [1, 2, 2, 2]);
    const y = tf.tidy(() => batchNorm(x, { store, name: "bn", training: true }).dataSync());
    // channel 0: mean 2.5, biased var 1.25; channel 1: mean 2, biased var 12.
    const expect0 = [1, 2, 3, 4].map((v) => (v - 2.5) / Math.sqrt(1.25 + 1e-5));
    const expect1 = [0, 0, 0, 8].map((v) => (v - 2) / Math.sqrt(12 + 1e-5));
    assertClose([y[0], y[2], y[4], y[6]], expect0, 1e-5, "bn channel 0");
    assertClose([y[1], y[3], y[5], y[7]], expect1, 1e-5, "bn channel 1");
    // running_mean = 0.9*0 + 0.1*mean; running_var = 0.9*1 + 0.1*unbiased (1.25*4/3, 12*4/3).
    assertClose(getParam(store, "bn.running_mean").dataSync(), [0.25, 0.2], 1e-6, "running_mean");
    assertClose(
      getParam(store, "bn.running_var").dataSync(),
      [0.9 + 0.1 * (5 / 3), 0.9 + 0.1 * 16],
      1e-6,
      "running_var",
    );
    const e = tf.tidy(() => batchNorm(x, { store, name: "bn", training: false }).dataSync());
    const rv = [0.9 + 0.1 * (5 / 3), 0.9 + 0.1 * 16];
    assertAlmostEquals(e[0], (1 - 0.25) / Math.sqrt(rv[0] + 1e-5), 1e-5);
    assertAlmostEquals(e[7], (8 - 0.2) / Math.sqrt(rv[1] + 1e-5), 1e-5);
    // Eval mode leaves the running statistics alone.
    assertClose(getParam(store, "bn.running_mean").dataSync(), [0.25, 0.2], 1e-6, "running_mean after eval");
    x.dispose();
    disposeStore(store);
  });
});

Deno.test("layerNorm matches a brute-force reference", async () => {
  await noLeak("layerNorm", () => {
    const store = createParamStore();
    initLayerNorm(store, "ln", { channels: 4 });
    const x = tf.tensor3d([1, 2, 3, 10, -1, -1, 1, 1], [1, 2, 4]);
    const y = tf.tidy(() => layerNorm(x, { store, name: "ln" }).dataSync());
    const row = (v: number[]) => {
      const m = v.reduce((a, b) => a + b) / v.length;
      const s = v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length;
      return v.map((t) => (t - m) / Math.sqrt(s + 1e-5));
    };
    assertClose(y, [...row([1, 2, 3, 10]), ...row([-1, -1, 1, 1])], 1e-5, "layerNorm");
    x.dispose();
    disposeStore(store);
  });
});

Deno.test("conv2d (3x3 same) and convTranspose2x2 match brute-force references", async () => {
  await noLeak("convs", () => {
    const rng = new Rng(2);
    const store = createParamStore();
    initConv2d(store, "c", { inChannels: 2, outChannels: 3, kernelSize: 3, rng });
    initConvTranspose2x2(store, "d", { inChannels: 3, outChannels: 2, rng });
    const [B, H, W] = [1, 4, 5];
    const x = randomTensor([B, H, W, 2], rng) as tf.Tensor4D;
    const xv = x.dataSync();
    const wv = getParam(store, "c.weight").dataSync(), bv = getParam(store, "c.bias").dataSync();
    const y = tf.tidy(() => conv2d(x, { store, name: "c" }).dataSync());
    const ref = new Float32Array(B * H * W * 3);
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        for (let o = 0; o < 3; o++) {
          let s = bv[o];
          for (let ki = 0; ki < 3; ki++) {
            for (let kj = 0; kj < 3; kj++) {
              const ii = i + ki - 1, jj = j + kj - 1;
              if (ii < 0 || jj < 0 || ii >= H || jj >= W) continue;
              for (let c = 0; c < 2; c++) s += xv[(ii * W + jj) * 2 + c] * wv[((ki * 3 + kj) * 2 + c) * 3 + o];
            }
          }
          ref[(i * W + j) * 3 + o] = s;
        }
      }
    }
    assertClose(y, ref, 1e-5, "conv2d");
    // Transposed conv: out[2i+di, 2j+dj, o] = bias[o] + sum_c x[i, j, c] W[di, dj, o, c].
    const z = randomTensor([1, 2, 3, 3], rng) as tf.Tensor4D;
    const zv = z.dataSync();
    const dw = getParam(store, "d.weight").dataSync(), db = getParam(store, "d.bias").dataSync();
    const up = tf.tidy(() => convTranspose2x2(z, { store, name: "d" }));
    assertEquals(up.shape, [1, 4, 6, 2]);
    const upv = up.dataSync();
    up.dispose();
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) {
        for (let di = 0; di < 2; di++) {
          for (let dj = 0; dj < 2; dj++) {
            for (let o = 0; o < 2; o++) {
              let s = db[o];
              for (let c = 0; c < 3; c++) s += zv[(i * 3 + j) * 3 + c] * dw[((di * 2 + dj) * 2 + o) * 3 + c];
              assertAlmostEquals(upv[((2 * i + di) * 6 + 2 * j + dj) * 2 + o], s, 1e-5);
            }
          }
        }
      }
    }
    tf.dispose([x, z]);
    disposeStore(store);
  });
});

/** PyTorch nn.MultiheadAttention (batch_first) written out with loops, from PyTorch-layout weights. */
function referenceMha(
  q: Float32Array,
  k: Float32Array,
  dims: { B: number; N: number; L: number; E: number; h: number },
  w: { inW: Float32Array; inB: Float32Array; outW: Float32Array; outB: Float32Array },
  mask?: number[],
) {
  const { B, N, L, E, h } = dims;
  const d = E / h;
  // w.inW is the tfjs [E, 3E] layout; PyTorch's in_proj_weight[r][c] = inW[c * 3E + r].
  const proj = (x: Float32Array, rows: number, part: number) => {
    const out = new Float64Array(B * rows * E);
    for (let t = 0; t < B * rows; t++) {
      for (let r = 0; r < E; r++) {
        let s = w.inB[part * E + r];
        for (let c = 0; c < E; c++) s += w.inW[c * 3 * E + part * E + r] * x[t * E + c];
        out[t * E + r] = s;
      }
    }
    return out;
  };
  const Q = proj(q, N, 0), K = proj(k, L, 1), V = proj(k, L, 2);
  const ctx = new Float64Array(B * N * E), avg = new Float64Array(B * N * L);
  for (let b = 0; b < B; b++) {
    for (let hh = 0; hh < h; hh++) {
      for (let n = 0; n < N; n++) {
        const s = new Float64Array(L);
        for (let l = 0; l < L; l++) {
          let dot = 0;
          for (let j = 0; j < d; j++) dot += Q[(b * N + n) * E + hh * d + j] * K[(b * L + l) * E + hh * d + j];
          s[l] = mask && mask[b * L + l] === 0 ? -Infinity : dot / Math.sqrt(d);
        }
        const mx = Math.max(...s);
        const e = s.map((v) => Math.exp(v - mx));
        const z = e.reduce((a, v) => a + v, 0);
        for (let l = 0; l < L; l++) {
          const a = e[l] / z;
          avg[(b * N + n) * L + l] += a / h;
          for (let j = 0; j < d; j++) ctx[(b * N + n) * E + hh * d + j] += a * V[(b * L + l) * E + hh * d + j];
        }
      }
    }
  }
  const out = new Float64Array(B * N * E);
  for (let t = 0; t < B * N; t++) {
    for (let r = 0; r < E; r++) {
      let s = w.outB[r];
      for (let c = 0; c < E; c++) s += w.outW[c * E + r] * ctx[t * E + c];
      out[t * E + r] = s;
    }
  }
  return { out, avg };
}

Deno.test("multiHeadAttention matches PyTorch semantics (reference loops), incl. key mask, and its gradients", async () => {
  await noLeak("mha", () => {
    const rng = new Rng(3);
    const dims = { B: 2, N: 5, L: 3, E: 8, h: 4 };
    const store = createParamStore();
    initMultiHeadAttention(store, "attn", { embedDim: dims.E, rng });
    randomizeStore(store, rng, 0.2);
    const q = randomVariable([dims.B, dims.N, dims.E], rng);
    const k = randomVariable([dims.B, dims.L, dims.E], rng);
    const mask = [1, 1, 0, 1, 1, 1];
    const keyMask = tf.tensor2d(mask, [2, 3]);
    const w = {
      inW: getParam(store, "attn.in_proj_weight").dataSync() as Float32Array,
      inB: getParam(store, "attn.in_proj_bias").dataSync() as Float32Array,
      outW: getParam(store, "attn.out_proj.weight").dataSync() as Float32Array,
      outB: getParam(store, "attn.out_proj.bias").dataSync() as Float32Array,
    };
    for (const m of [undefined, keyMask]) {
      const r = multiHeadAttention(q as unknown as tf.Tensor3D, k as unknown as tf.Tensor3D, {
        store,
        name: "attn",
        heads: dims.h,
        keyMask: m,
      });
      assertEquals(r.output.shape, [2, 5, 8]);
      assertEquals(r.weights.shape, [2, 5, 3]);
      const ref = referenceMha(
        q.dataSync() as Float32Array,
        k.dataSync() as Float32Array,
        dims,
        w,
        m ? mask : undefined,
      );
      assertClose(r.output.dataSync(), ref.out, 1e-4, "mha output");
      assertClose(r.weights.dataSync(), ref.avg, 1e-5, "mha weights");
      tf.dispose(r);
    }
    const target = randomTensor([2, 5, 8], rng);
    const rep = checkGradients(() =>
      tf.tidy(() => {
        const r = multiHeadAttention(q as unknown as tf.Tensor3D, k as unknown as tf.Tensor3D, {
          store,
          name: "attn",
          heads: dims.h,
          keyMask,
        });
        return tf.sum(tf.mul(r.output, target)) as tf.Scalar;
      }), {
      q,
      k,
      inW: store.trainable.get("attn.in_proj_weight")!,
      outW: store.trainable.get("attn.out_proj.weight")!,
    });
    assertEquals(rep.failures, []);
    tf.dispose([q, k, keyMask, target]);
    disposeStore(store);
  });
});

Deno.test("textFusion: shapes, lambda weighting and finite-difference gradients", async () => {
  await noLeak("textFusion", () => {
    const rng = new Rng(4);
    const store = createParamStore();
    initTextFusion(store, "f", { channels: 8, tokens: 4 * 4, textDim: 6, weight: "learnable", lambdaInit: 0.7, rng });
    randomizeStore(store, rng, 0.1);
    const x = randomVariable([2, 4, 4, 8], rng);
    const text = randomVariable([2, 3, 6], rng);
    const opts = { store, name: "f", heads: 8, weight: "learnable" as const };
    // X~ - X must equal lambda * Z, i.e. (learnable) / (none) = lambda exactly.
    const lam = getParam(store, "f.lambda").dataSync()[0];
    tf.tidy(() => {
      const a = textFusion(x as unknown as tf.Tensor4D, text as unknown as tf.Tensor3D, opts);
      const b = textFusion(x as unknown as tf.Tensor4D, text as unknown as tf.Tensor3D, { ...opts, weight: "none" });
      assertEquals(a.attention.shape, [2, 16, 3]);
      const za = tf.sub(a.fused, x).dataSync(), zb = tf.sub(b.fused, x).dataSync();
      for (let i = 0; i < za.length; i += 7) assertAlmostEquals(za[i], lam * zb[i], 1e-4);
      // Attention rows sum to one.
      const sums = tf.sum(a.attention, -1).dataSync();
      for (const s of sums) assertAlmostEquals(s, 1, 1e-5);
    });
    const target = randomTensor([2, 4, 4, 8], rng);
    const rep = checkGradients(() =>
      tf.tidy(() => {
        const r = textFusion(x as unknown as tf.Tensor4D, text as unknown as tf.Tensor3D, opts);
        return tf.sum(tf.mul(r.fused, target)) as tf.Scalar;
      }), {
      x,
      text,
      pos: store.trainable.get("f.pos_embed")!,
      proj: store.trainable.get("f.text_proj.weight")!,
      inW: store.trainable.get("f.attn.in_proj_weight")!,
      norm: store.trainable.get("f.norm.weight")!,
      lambda: store.trainable.get("f.lambda")!,
    });
    assertEquals(rep.failures, []);
    tf.dispose([x, text, target]);
    disposeStore(store);
  });
});

Deno.test("featurePropagation matches a brute-force 5x5 dilation-2 neighbourhood with zero padding", async () => {
  await noLeak("featurePropagation", () => {
    const rng = new Rng(5);
    const [B, H, W, C] = [1, 5, 6, 3];
    const f = randomTensor([B, H, W, C], rng, 0.7) as tf.Tensor4D;
    const fv = f.dataSync();
    const out = tf.tidy(() => featurePropagation(f).dataSync());
    const at = (y: number, x: number, c: number) => (y < 0 || x < 0 || y >= H || x >= W ? 0 : fv[(y * W + x) * C + c]);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const logits: number[] = [], nb: number[][] = [];
        for (let dy = -4; dy <= 4; dy += 2) {
          for (let dx = -4; dx <= 4; dx += 2) {
            const v = [0, 1, 2].map((c) => at(y + dy, x + dx, c));
            nb.push(v);
            logits.push(Math.max(0, v.reduce((a, t, c) => a + t * at(y, x, c), 0)));
          }
        }
        const mx = Math.max(...logits);
        const e = logits.map((l) => Math.exp(l - mx));
        const z = e.reduce((a, b) => a + b);
        for (let c = 0; c < C; c++) {
          const ref = nb.reduce((a, v, n) => a + (e[n] / z) * v[c], 0);
          assertAlmostEquals(out[(y * W + x) * C + c], ref, 1e-5);
        }
      }
    }
    f.dispose();
  });
});

/** featurePropagation written plainly (autodiff through every shifted copy): the gradient reference. */
function featurePropagationAutodiff(f: tf.Tensor4D, k: number, dil: number): tf.Tensor4D {
  const r = ((k - 1) / 2) * dil;
  const [b, h, w, c] = f.shape;
  const padded = tf.pad(f, [[0, 0], [r, r], [r, r], [0, 0]]);
  const nb: tf.Tensor[] = [], corr: tf.Tensor[] = [];
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const fn = tf.slice(padded, [0, i * dil, j * dil, 0], [b, h, w, c]);
      nb.push(fn);
      corr.push(tf.sum(tf.mul(f, fn), 3));
    }
  }
  const a = tf.softmax(tf.relu(tf.stack(corr, 3)), -1);
  return tf.addN(nb.map((fn, n) => tf.mul(fn, tf.slice(a, [0, 0, 0, n], [b, h, w, 1])))) as tf.Tensor4D;
}

Deno.test("featurePropagation: the hand-written gradient equals autodiff of the plain form and finite differences", async () => {
  await noLeak("featurePropagation gradient", () => {
    const rng = new Rng(6);
    for (const [k, dil] of [[5, 2], [3, 1]]) {
      const f = randomVariable([2, 6, 7, 4], rng, 0.8);
      const target = randomTensor([2, 6, 7, 4], rng);
      const loss = (fp: (x: tf.Tensor4D) => tf.Tensor4D) => () =>
        tf.tidy(() => tf.sum(tf.mul(fp(f as unknown as tf.Tensor4D), target)) as tf.Scalar);
      const mine = loss((x) => featurePropagation(x, { kernelSize: k, dilation: dil }));
      const ref = loss((x) => featurePropagationAutodiff(x, k, dil));
      tf.tidy(() => {
        const [a, b] = [mine, ref].map((fn) => tf.variableGrads(fn, [f]));
        assertAlmostEquals(a.value.dataSync()[0], b.value.dataSync()[0], 1e-4);
        const ga = a.grads[f.name].dataSync(), gb = b.grads[f.name].dataSync();
        let worst = 0, scale = 0;
        for (let i = 0; i < ga.length; i++) {
          worst = Math.max(worst, Math.abs(ga[i] - gb[i]));
          scale = Math.max(scale, Math.abs(gb[i]));
        }
        assert(
          scale > 0.1 && worst <= 1e-5 * Math.max(1, scale),
          `k ${k}: gradient differs by ${worst} (max ${scale})`,
        );
        tf.dispose([a.grads[f.name], b.grads[f.name]]);
      });
      const rep = checkGradients(mine, { f }, { samples: 8, h: 2e-3 });
      assertEquals(rep.failures, []);
      tf.dispose([f, target]);
    }
  });
});

Deno.test("stopGradient passes values and blocks gradients", async () => {
  await noLeak("stopGradient", () => {
    const x = tf.tensor1d([1, -2, 3]);
    // d/dx sum(sg(x) * x) = sg(x) = x, not 2x.
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(stopGradient(t), t)))(x);
    assertEquals(Array.from(g.dataSync()), [1, -2, 3]);
    const g0 = tf.grad((t: tf.Tensor) => tf.sum(tf.square(stopGradient(t))))(x);
    assertEquals(Array.from(g0.dataSync()), [0, 0, 0]);
    const v = tf.tidy(() => stopGradient(x).dataSync());
    assertEquals(Array.from(v), [1, -2, 3]);
    tf.dispose([x, g, g0]);
  });
});
