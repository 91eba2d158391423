/**
 * 2x2 max-pooling with stride 2 (the BasicUNet down-sampling), with its own gradient.
 *
 * Why not plain `tf.maxPool`: on this toolkit's default backend the gradient is wrong —
 * tfjs-backend-wasm 4.22's `MaxPoolGrad` kernel loses or misroutes the gradient of windows whose
 * values are all negative (as if the running maximum started at 0), which LeakyReLU outputs
 * produce all the time (tests/models/max_pool_test.ts shows it on a `[1, 4, 4, 1]` input). The
 * forward pass still uses `tf.maxPool` (correct, XNNPACK-fast); the backward pass routes each
 * output gradient to the FIRST maximum of its window in row-major order — PyTorch's rule, which
 * matters on constant patches (e.g. DARM-zeroed blocks), where all four values tie.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

function windowSlice(x: tf.Tensor4D, di: number, dj: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  return tf.stridedSlice(x, [0, di, dj, 0], [b, h, w, c], [1, 2, 2, 1]) as tf.Tensor4D;
}

const pool = tf.customGrad(
  ((x: tf.Tensor4D, save: tf.GradSaveFunc) => {
    const y = tf.maxPool(x, 2, 2, "valid");
    save([x, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, ys] = saved as [tf.Tensor4D, tf.Tensor4D];
        let taken: tf.Tensor | undefined;
        const parts: tf.Tensor4D[] = [];
        for (const [di, dj] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
          let hit: tf.Tensor = tf.equal(windowSlice(xs, di, dj), ys);
          if (taken) hit = tf.logicalAnd(hit, tf.logicalNot(taken));
          taken = taken ? tf.logicalOr(taken, hit) : hit;
          parts.push(tf.mul(dy, tf.cast(hit, "float32")) as tf.Tensor4D);
        }
        // depthToSpace(block 2): out[2i+di, 2j+dj, c] = in[i, j, (2 di + dj) C + c].
        return tf.depthToSpace(tf.concat(parts, 3) as tf.Tensor4D, 2);
      },
    };
    // tfjs types the callback's arguments as a union of inputs and the save function, hence the cast.
  }) as unknown as Parameters<typeof tf.customGrad>[0],
);

/**
 * `[B, H, W, C]` -> `[B, H/2, W/2, C]` (H, W even): the max of each 2x2 window. Gradient: to the
 * first maximum of the window (row-major), as PyTorch's `max_pool2d`.
 */
export function maxPool2x2(x: tf.Tensor4D): tf.Tensor4D {
  const [, h, w] = x.shape;
  if (h % 2 !== 0 || w % 2 !== 0) throw new Error(`maxPool2x2: height and width must be even, got ${h} x ${w}`);
  return pool(x) as tf.Tensor4D;
}
