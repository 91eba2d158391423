// Run by stock_wasm_bpf_test.ts in a subprocess with GAZE_WASM_KERNELS=off: the wasm backend then has
// only the tf-ops Conv2DBackpropFilter (lib/backend/wasm_conv2d_backprop_filter.ts). Prints, as JSON,
// the relative max difference to the cpu backend of dw for each configuration, and the backend reason.
import * as tf from "@tensorflow/tfjs";
import { kernelPathStats, selectBackend } from "../../lib/backend/mod.ts";
import { randomValues } from "./backend_compare.ts";

const out: Record<string, number | string> = {};
for (const k of [1, 2, 3]) {
  for (const s of [1, 2]) {
    for (const pad of ["same", "valid"] as const) {
      for (const transpose of [false, true]) {
        const [b, h, w, ci, co] = [2, 7, 9, 3, 5];
        const xv = randomValues(b * h * w * ci, k * 10 + s), wv = randomValues(k * k * ci * co, 7);
        const grad = async (backend: string) => {
          const choice = await selectBackend(backend, { quiet: true });
          out.reason = choice.reason;
          return tf.tidy(() => {
            const x = tf.tensor4d(xv, [b, h, w, ci]);
            if (!transpose) {
              const f = (a: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, a as tf.Tensor4D, s, pad)));
              return tf.grad(f)(tf.tensor4d(wv, [k, k, ci, co])).dataSync();
            }
            const oh = pad === "same" ? h * s : (h - 1) * s + k, ow = pad === "same" ? w * s : (w - 1) * s + k;
            const f = (a: tf.Tensor) =>
              tf.sum(tf.square(tf.conv2dTranspose(x, a as tf.Tensor4D, [b, oh, ow, co], s, pad)));
            return tf.grad(f)(tf.tensor4d(wv, [k, k, co, ci])).dataSync();
          });
        };
        const ref = await grad("cpu");
        const got = await grad("wasm");
        let d = 0, m = 1;
        for (let i = 0; i < ref.length; i++) {
          d = Math.max(d, Math.abs(ref[i] - got[i]));
          m = Math.max(m, Math.abs(ref[i]));
        }
        out[`k${k} s${s} ${pad}${transpose ? " transpose" : ""}`] = d / m;
      }
    }
  }
}
out.gazeConvPaths = Object.keys(kernelPathStats()).filter((p) => p.startsWith("Conv2D")).length;
console.log(JSON.stringify(out));
