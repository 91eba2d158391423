// Parameter totals at the paper's widths, derived here from the layer formulas of the PyTorch /
// MONAI modules (nn.Conv2d: ci*co*k*k + co; nn.GroupNorm / nn.BatchNorm2d / nn.LayerNorm affine: 2c;
// nn.ConvTranspose2d(k=2): ci*co*4 + co; nn.Linear: i*o + o; nn.MultiheadAttention(E): 4E^2 + 4E),
// then compared with the models the toolkit builds.
import * as tf from "@tensorflow/tfjs";
import { assertEquals } from "../assert.ts";
import { selectBackend } from "../../lib/backend/mod.ts";
import { countParams, disposeModel, initModel, modelConfigFor, summarizeModel } from "../../lib/models/mod.ts";

await selectBackend("cpu", { quiet: true });

const conv = (ci: number, co: number, k: number) => ci * co * k * k + co;
const norm = (c: number) => 2 * c;
const twoConv = (ci: number, co: number) => conv(ci, co, 3) + norm(co) + conv(co, co, 3) + norm(co);
const deconv = (ci: number, co: number) => ci * co * 4 + co;
/** MONAI BasicUNet(spatial_dims=2, in_channels, out_channels, features, norm=GroupNorm(4)). */
function monaiBasicUNet(cin: number, f: number[], out: number): number {
  let t = twoConv(cin, f[0]);
  for (let i = 1; i <= 4; i++) t += twoConv(f[i - 1], f[i]); // down_i: max-pool has no parameters
  for (const i of [4, 3, 2]) {
    t += deconv(f[i], Math.floor(f[i] / 2)) + twoConv(f[i - 1] + Math.floor(f[i] / 2), f[i - 1]);
  }
  t += deconv(f[1], f[1]) + twoConv(f[0] + f[1], f[5]); // upcat_1: halves=False
  return t + conv(f[5], out, 1); // final_conv
}
const fusion = (c: number, tokens: number, d: number) => tokens * c + (d * c + c) + (4 * c * c + 4 * c) + norm(c); // pos embed, text proj, MHA, LayerNorm
const distill = (c: number) => 2 * conv(c, c, 1) + 2 * norm(c);
const head = (c: number) => 2 * conv(c, c, 1);

const PAPER_T = [64, 128, 256, 512, 1024, 128];
const PAPER_S = [32, 64, 128, 256, 512, 32];

Deno.test("BasicUNet at (64..1024, 128), in 3, out 128 has the MONAI parameter count", () => {
  // 31,351,232 by the formulas above (31,334,720 without final_conv).
  const expected = monaiBasicUNet(3, PAPER_T, 128);
  assertEquals(expected, 31_351_232);
  const model = initModel(modelConfigFor("unet", "paper", { overrides: { featDim: 128, numClasses: 1 } }), { seed: 0 });
  const c = countParams(model);
  disposeModel(model);
  assertEquals(c.trainable, expected + conv(128, 1, 1));
  assertEquals(c.state, 0);
});

Deno.test("teacher / student / GazeMedSeg totals at paper widths follow the layer formulas", () => {
  const before = tf.memory().numTensors;
  const teacher = monaiBasicUNet(3, PAPER_T, 128) +
    [1, 2, 3, 4].reduce((a, s) => a + fusion(PAPER_T[s], (224 / 2 ** s) ** 2, 768) + distill(PAPER_T[s]), 0) +
    head(128) + conv(128, 2, 1);
  const student = monaiBasicUNet(3, PAPER_S, 32) +
    [1, 2, 3, 4].reduce((a, s) => a + distill(PAPER_S[s]) + conv(PAPER_S[s], PAPER_T[s], 1) + norm(PAPER_T[s]), 0) +
    head(32) + conv(32, 2, 1);
  const gms = 2 * (monaiBasicUNet(3, PAPER_T, 128) + conv(128, 1, 1));
  assertEquals(summarizeModel(modelConfigFor("teacher", "paper")).totalParams, teacher);
  assertEquals(
    summarizeModel(modelConfigFor("teacher", "paper", { overrides: { fusion: "learnable" } })).totalParams,
    teacher + 4,
  );
  assertEquals(
    summarizeModel(modelConfigFor("teacher", "paper", { overrides: { text: false } })).totalParams,
    teacher - [1, 2, 3, 4].reduce((a, s) => a + fusion(PAPER_T[s], (224 / 2 ** s) ** 2, 768), 0),
  );
  // RoBERTa-base (768-d) tokens as the released teacher: 491,520 more than with 512-d use-lite tokens.
  assertEquals(teacher, 44_250_434);
  assertEquals(
    summarizeModel(modelConfigFor("teacher", "paper", { overrides: { textDim: 512 } })).totalParams,
    44_250_434 - 491_520,
  );
  assertEquals(summarizeModel(modelConfigFor("student", "paper")).totalParams, student);
  assertEquals(summarizeModel(modelConfigFor("gazemedseg", "paper")).totalParams, gms);
  // BatchNorm running statistics: teacher 2 * 2 * sum(C_s); student adds the adapters.
  assertEquals(summarizeModel(modelConfigFor("teacher", "paper")).totalState, 4 * (128 + 256 + 512 + 1024));
  assertEquals(
    summarizeModel(modelConfigFor("student", "paper")).totalState,
    4 * (64 + 128 + 256 + 512) + 2 * (128 + 256 + 512 + 1024),
  );
  assertEquals(tf.memory().numTensors, before, "summarizeModel frees the model it builds");
});
