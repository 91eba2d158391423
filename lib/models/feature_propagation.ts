/**
 * GazeMedSeg feature propagation: every pixel's feature is replaced by an affinity-weighted mean
 * of its 5x5 neighbourhood with dilation 2 (25 positions, centre included, zero padding):
 * a_n = softmax_n(relu(<f_c, f_n>)), f' = sum_n a_n f_n. Zero-padded neighbours have f_n = 0,
 * so they get affinity relu(0) = 0 (still in the softmax) and contribute nothing to the sum
 * (as with PyTorch's `F.unfold` zero padding in the reference).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tensor3D, Tensor4D } from "../backend/tensor_types.ts";
import { FEATURE_PROP_GRAD_KERNEL, FEATURE_PROP_KERNEL } from "../backend/feature_prop.ts";

/** Options for {@link featurePropagation}. */
export interface FeaturePropagationOptions {
  /** Neighbourhood side (odd, default 5). */
  kernelSize?: number;
  /** Dilation (default 2). */
  dilation?: number;
}

/**
 * Feature propagation on `[B, H, W, C]` features; returns `[B, H, W, C]`. Differentiable, with a
 * hand-written gradient (`tf.customGrad`) that keeps only the features, the affinities and the
 * correlations `[B, H, W, k*k]` for the backward pass: autodiff through the 25 shifted copies kept
 * ~2 GiB per pass alive in the tape at 224 px with 128 channels (GazeMedSeg's paper profile).
 * Where the backend has the toolkit's `GazeFeatureProp` kernels (wasm), the forward pass and the
 * gradient are one kernel each (lib/backend/feature_prop.ts); elsewhere the composite below.
 */
export function featurePropagation(features: Tensor4D, options: FeaturePropagationOptions = {}): Tensor4D {
  const k = options.kernelSize ?? 5, dil = options.dilation ?? 2;
  if (!(Number.isInteger(k) && k > 0 && k % 2 === 1)) {
    throw new Error(`featurePropagation: kernelSize must be a positive odd integer, got ${k}`);
  }
  const be = tf.getBackend();
  if (
    features.dtype === "float32" && tf.getKernel(FEATURE_PROP_KERNEL, be) && tf.getKernel(FEATURE_PROP_GRAD_KERNEL, be)
  ) {
    return propagateKernel(features, k, dil);
  }
  const r = ((k - 1) / 2) * dil;
  const [b, h, w, c] = features.shape;
  const offsets: [number, number][] = [];
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) offsets.push([i * dil, j * dil]);
  const pad = (x: tf.Tensor) => tf.pad(x, [[0, 0], [r, r], [r, r], [0, 0]]);
  const shifted = (padded: tf.Tensor, [di, dj]: [number, number]) =>
    tf.slice(padded, [0, di, dj, 0], [b, h, w, c]) as Tensor4D;
  const channel = (x: tf.Tensor, n: number) => tf.slice(x, [0, 0, 0, n], [b, h, w, 1]);
  // sum over the k*k neighbours of fn(n), one neighbour's temporaries alive at a time
  const accumulate = (fn: (n: number) => tf.Tensor, shape: number[]) => {
    let acc: tf.Tensor = tf.zeros(shape);
    for (let n = 0; n < offsets.length; n++) {
      const next = tf.tidy(() => tf.add(acc, fn(n)));
      acc.dispose();
      acc = next;
    }
    return acc;
  };
  const propagate = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const f = args[0] as Tensor4D, save = args[1] as tf.GradSaveFunc;
    const padded = pad(f);
    // corr_n = <f_c, f_n>, a = softmax_n(relu(corr))
    const corr = tf.tidy(() =>
      tf.stack(offsets.map((o) => tf.tidy(() => tf.sum(tf.mul(f, shifted(padded, o)), 3) as Tensor3D)), 3)
    );
    const a = tf.tidy(() => tf.softmax(tf.relu(corr), -1));
    const value = accumulate((n) => tf.mul(shifted(padded, offsets[n]), channel(a, n)), [b, h, w, c]) as Tensor4D;
    padded.dispose();
    save([f, a, corr]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [f, a, corr] = saved;
        return tf.tidy(() => {
          const padded = pad(f);
          // dL/da_n = <dy, f_n>; softmax and relu backward give dL/dcorr_n
          const dA = tf.stack(offsets.map((o) => tf.tidy(() => tf.sum(tf.mul(dy, shifted(padded, o)), 3))), 3);
          const dS = tf.mul(a, tf.sub(dA, tf.sum(tf.mul(a, dA), -1, true)));
          const dC = tf.mul(dS, tf.step(corr));
          // f_n = shift_n(f): its gradient a_n dy + dcorr_n f lands, shifted back, in the padded gradient
          const dPadded = accumulate((n) => {
            const [di, dj] = offsets[n];
            const g = tf.add(tf.mul(channel(a, n), dy), tf.mul(channel(dC, n), f));
            return tf.pad(g, [[0, 0], [di, 2 * r - di], [dj, 2 * r - dj], [0, 0]]);
          }, padded.shape);
          // corr_n = <f, f_n>: the direct term
          const direct = accumulate((n) => tf.mul(channel(dC, n), shifted(padded, offsets[n])), [b, h, w, c]);
          return tf.add(direct, tf.slice(dPadded, [0, r, r, 0], [b, h, w, c]));
        });
      },
    };
  });
  return propagate(features) as Tensor4D;
}

/** {@link featurePropagation} on the backend's `GazeFeatureProp` / `GazeFeaturePropGrad` kernels. */
function propagateKernel(features: Tensor4D, k: number, dil: number): Tensor4D {
  const attrs = { kernelSize: k, dilation: dil } as unknown as tf.NamedAttrMap;
  const propagate = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const f = args[0] as Tensor4D, save = args[1] as tf.GradSaveFunc;
    const [value, a, corr] = tf.engine().runKernel(FEATURE_PROP_KERNEL, { f }, attrs) as tf.Tensor[];
    save([f, a, corr]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [fs, as, cs] = saved;
        return tf.engine().runKernel(FEATURE_PROP_GRAD_KERNEL, { dy, f: fs, a: as, corr: cs }, attrs) as tf.Tensor;
      },
    };
  });
  return propagate(features) as Tensor4D;
}
