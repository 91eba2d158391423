import { assert, assertEquals } from "../assert.ts";
import { dequantiseMap, jpegRoundTrip, quantiseMap } from "../../lib/gaze/quantise.ts";

const map = (...v: number[]) => ({ width: v.length, height: 1, channels: 1, data: new Float32Array(v) });

Deno.test("quantise: round mode puts v >= 0.5 at 128 and clamps to 0..255", () => {
  assertEquals(Array.from(quantiseMap(map(-0.2, 0, 0.4999, 0.5, 0.3, 1, 1.01)).data), [0, 0, 127, 128, 77, 255, 255]);
});

Deno.test("quantise: numpy-f16 reproduces (h.astype(float16) * 255).astype(uint8)", () => {
  // hand-worked in float16: 0.5 * 255 = 127.5 -> 127; 0.502 -> f16 0.50195 -> *255 = 128.0 -> 128;
  // 0.9999 -> f16 1.0 -> 255; 1.0005 -> f16 1.0 -> 255; -0.001 -> -0.255 -> trunc 0;
  // -0.005 -> -1.275 -> trunc -1 -> numpy's uint8 cast wraps to 255
  assertEquals(Array.from(quantiseMap(map(0.5, 0.502, 0.9999, 1.0005, -0.001, -0.005), { mode: "numpy-f16" }).data), [
    127,
    128,
    255,
    255,
    0,
    255,
  ]);
  // float32 truncation (the CRF map): 0.3 * 255 = 76.5 -> 76, 0.99999 * 255 = 254.997 -> 254
  assertEquals(Array.from(quantiseMap(map(0.3, 0.99999, 0.5), { mode: "numpy-f32" }).data), [76, 254, 127]);
});

Deno.test("quantise: dequantise is v / 255 and the JPEG round trip stays within a few levels", () => {
  const d = dequantiseMap({ width: 2, height: 1, channels: 1, data: new Uint8Array([128, 255]) });
  assertEquals(Array.from(d.data), [Math.fround(128 / 255), 1]);
  const W = 64, H = 48, data = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) data[y * W + x] = Math.round(255 * Math.exp(-((x - 30) ** 2 + (y - 20) ** 2) / 400));
  }
  const back = jpegRoundTrip({ width: W, height: H, channels: 1, data });
  assertEquals([back.width, back.height, back.channels], [W, H, 1]);
  let worst = 0, changed = 0;
  for (let i = 0; i < data.length; i++) {
    const e = Math.abs(back.data[i] - data[i]);
    worst = Math.max(worst, e);
    if (e) changed++;
  }
  assert(worst <= 4, `JPEG q75 on a smooth map changed a value by ${worst}`);
  assert(changed > 0, "a JPEG round trip that changes nothing is not a JPEG round trip");
});
