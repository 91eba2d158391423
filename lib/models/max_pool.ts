/**
 * 2x2 max-pooling with stride 2 (the BasicUNet down-sampling), with a checked gradient.
 *
 * Why: tfjs-backend-wasm 4.22's stock `MaxPoolGrad` kernel loses or misroutes the gradient of
 * windows whose values are all negative (as if the running maximum started at 0), which LeakyReLU
 * outputs produce all the time. lib/backend now registers a correct replacement for wasm, but the
 * models should not silently depend on which kernel a backend has. So, once per backend, a tiny
 * probe runs the backend's `MaxPoolGrad` kernel on windows that are all negative and tied; if it
 * routes every gradient to the FIRST maximum of its window (row-major, PyTorch's rule), the native
 * gradient is used (fast); otherwise a composite gradient (strided slices, first-maximum masks,
 * depthToSpace; about 20x slower on wasm) takes over. The forward pass is always `tf.maxPool`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tensor, Tensor4D } from "../backend/tensor_types.ts";

function windowSlice(x: Tensor4D, di: number, dj: number): Tensor4D {
  const [b, h, w, c] = x.shape;
  return tf.stridedSlice(x, [0, di, dj, 0], [b, h, w, c], [1, 2, 2, 1]) as Tensor4D;
}

const pool = tf.customGrad(
  ((x: Tensor4D, save: tf.GradSaveFunc) => {
    const y = tf.maxPool(x, 2, 2, "valid");
    save([x, y]);
    return {
      value: y,
      gradFunc: (dy: Tensor4D, saved: Tensor[]) => {
        const [xs, ys] = saved as [Tensor4D, Tensor4D];
        let taken: Tensor | undefined;
        const parts: Tensor4D[] = [];
        for (const [di, dj] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
          let hit: Tensor = tf.equal(windowSlice(xs, di, dj), ys);
          if (taken) hit = tf.logicalAnd(hit, tf.logicalNot(taken));
          taken = taken ? tf.logicalOr(taken, hit) : hit;
          parts.push(tf.mul(dy, tf.cast(hit, "float32")) as Tensor4D);
        }
        // depthToSpace(block 2): out[2i+di, 2j+dj, c] = in[i, j, (2 di + dj) C + c].
        return tf.depthToSpace(tf.concat(parts, 3) as Tensor4D, 2);
      },
    };
    // tfjs types the callback's arguments as a union of inputs and the save function, hence the cast.
  }) as unknown as Parameters<typeof tf.customGrad>[0],
);

const nativeVerdicts = new Map<string, boolean>();

/**
 * Whether the current backend's `MaxPoolGrad` kernel routes gradients to the first maximum of each
 * 2x2 window, including all-negative and tied windows (probed once per backend, then cached).
 */
export function nativeMaxPoolGradIsExact(): boolean {
  const backend = tf.getBackend();
  let ok = nativeVerdicts.get(backend);
  if (ok !== undefined) return ok;
  ok = tf.tidy(() => {
    if (!tf.getKernel("MaxPoolGrad", backend)) return false;
    // Windows (row-major): all negative [-3, -1, -2, -4] -> index 1; tied [-2, 5, 5, 0] -> index 1
    // (first of the ties); tied all-negative [-1, -1, -1, -1] -> index 0; mixed [2, -1, 7, 7] -> index 2.
    const windows = [[-3, -1, -2, -4], [-2, 5, 5, 0], [-1, -1, -1, -1], [2, -1, 7, 7]];
    const first = [1, 1, 0, 2];
    const x = new Float32Array(16), want = new Float32Array(16);
    windows.forEach((win, k) => {
      const wy = Math.floor(k / 2), wx = k % 2;
      win.forEach((v, j) => {
        const idx = (2 * wy + Math.floor(j / 2)) * 4 + 2 * wx + (j % 2);
        x[idx] = v;
        if (j === first[k]) want[idx] = k + 1;
      });
    });
    const input = tf.tensor4d(x, [1, 4, 4, 1]);
    const output = tf.maxPool(input, 2, 2, "valid");
    const dy = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    try {
      const dx = tf.engine().runKernel("MaxPoolGrad", { dy, input, output }, {
        filterSize: [2, 2],
        strides: [2, 2],
        pad: "valid",
      }) as Tensor;
      const got = dx.dataSync();
      return got.every((v, i) => v === want[i]);
    } catch {
      return false;
    }
  });
  nativeVerdicts.set(backend, ok);
  return ok;
}

/**
 * `[B, H, W, C]` -> `[B, H/2, W/2, C]` (H, W even): the max of each 2x2 window. Gradient: to the
 * first maximum of the window (row-major), as PyTorch's `max_pool2d` — the backend's own kernel
 * when {@link nativeMaxPoolGradIsExact}, else a composite gradient.
 */
export function maxPool2x2(x: Tensor4D): Tensor4D {
  const [, h, w] = x.shape;
  if (h % 2 !== 0 || w % 2 !== 0) throw new Error(`maxPool2x2: height and width must be even, got ${h} x ${w}`);
  return nativeMaxPoolGradIsExact() ? tf.maxPool(x, 2, 2, "valid") : maxPool2x2Composite(x);
}

/** {@link maxPool2x2} that always uses the composite first-maximum gradient (backend-independent). */
export function maxPool2x2Composite(x: Tensor4D): Tensor4D {
  return pool(x) as Tensor4D;
}
