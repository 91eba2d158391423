/**
 * The one training kernel that `@tensorflow/tfjs-backend-wasm` 4.22 lacks:
 * `Conv2DBackpropFilter` (the weight gradient of conv2d and of conv2dTranspose).
 *
 * Formulation (stays inside XNNPACK, no round trip through JS):
 *
 *   dW[kh,kw,ci,co] = sum_{b,oh,ow} xpad[b, oh*s+kh, ow*s+kw, ci] * dy[b,oh,ow,co]
 *                   = conv2d(transpose(xpad,[3,1,2,0]) : [ci,Hp,Wp,B],
 *                            transpose(dy,[1,2,0,3])   : [OH,OW,B,co],
 *                            strides 1, dilation s, 'valid')  -> [ci,KH',KW',co]
 *                     -> slice to [ci,KH,KW,co] -> transpose [1,2,0,3]
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

interface BackpropFilterAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat?: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: [number, number, number, number];
}

/**
 * Register `Conv2DBackpropFilter` for a backend (default "wasm") when it has none.
 *
 * @returns true when the kernel was registered, false when one already existed.
 */
export function registerWasmConv2DBackpropFilter(backendName = "wasm"): boolean {
  if (tf.getKernel("Conv2DBackpropFilter", backendName)) return false;
  const identity = tf.getKernel("Identity", backendName);
  if (!identity) throw new Error(`backend ${backendName} has no Identity kernel`);
  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = attrs as unknown as BackpropFilterAttrs;
      if (a.dataFormat && a.dataFormat !== "NHWC") {
        throw new Error(`Conv2DBackpropFilter (wasm): only NHWC is supported, got ${a.dataFormat}`);
      }
      const [KH, KW] = a.filterShape;
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        a.filterShape,
        a.strides,
        1,
        a.pad,
        a.dimRoundingMode,
        false,
        "channelsLast",
      );
      // makeTensorFromTensorInfo does not bump the refcount; disposing the
      // wrappers would free the caller's x/dy, so take a reference first.
      const b = backend as unknown as { incRef(id: unknown): void };
      b.incRef(x.dataId);
      b.incRef(dy.dataId);
      const res = tf.tidy(() => {
        const xt = tf.engine().makeTensorFromTensorInfo(x) as tf.Tensor4D;
        const dyt = tf.engine().makeTensorFromTensorInfo(dy) as tf.Tensor4D;
        const top = info.padInfo.top, left = info.padInfo.left;
        const needH = (info.outHeight - 1) * info.strideHeight + KH;
        const needW = (info.outWidth - 1) * info.strideWidth + KW;
        const bottom = Math.max(0, needH - top - info.inHeight);
        const right = Math.max(0, needW - left - info.inWidth);
        let xp = xt;
        if (top || bottom || left || right) xp = tf.pad(xt, [[0, 0], [top, bottom], [left, right], [0, 0]]);
        // crop rows/cols that no output position reaches ('valid' with a remainder)
        if (xp.shape[1] > top + info.inHeight + bottom || xp.shape[1] > needH || xp.shape[2] > needW) {
          xp = tf.slice(xp, [0, 0, 0, 0], [-1, Math.min(xp.shape[1], needH), Math.min(xp.shape[2], needW), -1]);
        }
        const X = tf.transpose(xp, [3, 1, 2, 0]); // [ci, Hp, Wp, B]
        const F = tf.transpose(dyt, [1, 2, 0, 3]); // [OH, OW, B, co]
        let o = tf.conv2d(X, F, 1, "valid", "NHWC", [info.strideHeight, info.strideWidth]); // [ci, KH', KW', co]
        if (o.shape[1] !== KH || o.shape[2] !== KW) o = tf.slice(o, [0, 0, 0, 0], [-1, KH, KW, -1]);
        return tf.transpose(o, [1, 2, 0, 3]); // [KH, KW, ci, co]
      });
      const out = identity.kernelFunc({ inputs: { x: res }, backend, attrs: {} }) as tf.TensorInfo;
      res.dispose();
      return out;
    },
  });
  return true;
}
