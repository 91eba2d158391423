// The wasm Sum (leading axes) and MaxPoolGrad kernels against the cpu backend.
import * as tf from "@tensorflow/tfjs";
import { kernelPathStats, selectBackend } from "../../lib/backend/mod.ts";
import { assert, assertEquals } from "../assert.ts";
import { assertClose, randomValues, runOn } from "./backend_compare.ts";

Deno.test("wasm Sum and Mean over leading axes match the cpu backend", async () => {
  const xv = randomValues(3 * 70 * 5 * 8, 7);
  const f = () => {
    const x = tf.tensor4d(xv, [3, 70, 5, 8]);
    const odd = tf.tensor3d(xv.slice(0, 3 * 70 * 5), [3, 70, 5]);
    return [
      tf.sum(x, [0, 1, 2]),
      tf.sum(x, [2, 0, 1], true),
      tf.sum(x, 0),
      tf.sum(odd, [0, 1]), // inner 5: scalar path
      tf.sum(x), // everything
      tf.sum(x, [1, 2]), // not leading: stock kernel
      tf.mean(x, [0, 1, 2]),
      tf.mean(x, [0, 1], true),
      tf.mean(odd),
    ];
  };
  const ref = await runOn("cpu", f);
  const got = await runOn("wasm", f);
  for (let i = 0; i < ref.length; i++) assertClose(got[i], ref[i], 1e-5, `sum ${i}`);
  assert((kernelPathStats()["Sum/leading"] ?? 0) >= 5, JSON.stringify(kernelPathStats()));
  assert((kernelPathStats()["Mean/leading"] ?? 0) >= 3, JSON.stringify(kernelPathStats()));
});

Deno.test("wasm MaxPoolGrad matches the cpu backend (ties, overlapping windows, padding)", async (t) => {
  const cases: { k: number; s: number; pad: "valid" | "same"; c: number }[] = [
    { k: 2, s: 2, pad: "valid", c: 8 },
    { k: 3, s: 2, pad: "same", c: 4 },
    { k: 3, s: 1, pad: "same", c: 5 },
    { k: 2, s: 2, pad: "same", c: 3 },
  ];
  for (const [i, c] of cases.entries()) {
    await t.step(`k${c.k} s${c.s} ${c.pad} C${c.c}`, async () => {
      // values on a coarse grid so that windows contain ties
      const xv = randomValues(2 * 7 * 9 * c.c, 20 + i).map((v) => Math.round(v * 2) / 2);
      const f = () => {
        const x = tf.tensor4d(xv, [2, 7, 9, c.c]);
        const y = tf.maxPool(x, c.k, c.s, c.pad);
        const r = tf.tensor(randomValues(y.size, 30 + i), y.shape);
        return [y, tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, c.k, c.s, c.pad), r)))(x)];
      };
      const ref = await runOn("cpu", f);
      const got = await runOn("wasm", f);
      assertClose(got[0], ref[0], 0, "maxPool");
      assertClose(got[1], ref[1], 1e-6, "maxPool gradient");
    });
  }
  assert((kernelPathStats()["MaxPoolGrad/gaze"] ?? 0) >= 4, JSON.stringify(kernelPathStats()));
});

Deno.test("wasm MaxPoolGrad routes all-negative and tied windows to their first maximum", async () => {
  await selectBackend("wasm", { quiet: true });
  // 2x2 windows (row-major): [-3,-1,-2,-4] -> 2nd; [-2,5,5,0] -> 2nd (first of the ties);
  // [-1,-1,-1,-1] -> 1st; [2,-1,7,7] -> 3rd. (The stock wasm kernel starts its maximum at 0.)
  const x = tf.tensor4d([-3, -1, -2, 5, -2, -4, 5, 0, -1, -1, 2, -1, -1, -1, 7, 7], [1, 4, 4, 1]);
  const dx = tf.grad((a: tf.Tensor) =>
    tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, "valid"), [[[[1], [2]], [[3], [4]]]]))
  )(
    x,
  );
  assertEquals(Array.from(await dx.data()), [0, 1, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 4, 0]);
  tf.dispose([x, dx]);
});
