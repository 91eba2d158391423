import { assert, assertEquals, assertNotEquals, assertRejects } from "../assert.ts";
import { openSynthetic, syntheticSample } from "../../lib/data/synthetic.ts";

Deno.test("synthetic: deterministic from the seed, different across seeds and indices", () => {
  const a = syntheticSample("train", 5, { seed: 3, size: 48 });
  const b = syntheticSample("train", 5, { seed: 3, size: 48 });
  assertEquals(a, b);
  assertNotEquals(Array.from(syntheticSample("train", 5, { seed: 4, size: 48 }).image.data), Array.from(a.image.data));
  assertNotEquals(Array.from(syntheticSample("train", 6, { seed: 3, size: 48 }).image.data), Array.from(a.image.data));
  assertNotEquals(Array.from(syntheticSample("test", 5, { seed: 3, size: 48 }).image.data), Array.from(a.image.data));
  assertEquals(a.info, { dataset: "synthetic", width: 48, height: 48, source: "synthetic:3:train_0005" });
});

Deno.test("synthetic: dataset ids, defaults 48/16 at 128 px, unknown ids rejected", async () => {
  const ds = openSynthetic();
  assertEquals([ds.ids("train").length, ds.ids("test").length], [48, 16]);
  assertEquals(ds.ids("test")[15], "test_0015");
  const s = await ds.load("test_0015");
  assertEquals([s.image.width, s.image.height, s.image.channels, s.mask!.channels], [128, 128, 3, 1]);
  await assertRejects(() => ds.load("test_0016"), Error, "unknown id");
  await assertRejects(() => ds.load("../x"), Error, "unknown id");
  // a sample does not depend on how many samples the dataset has
  const small = openSynthetic({ train: 2, test: 1 });
  assertEquals(await small.load("train_0001"), await ds.load("train_0001"));
});

Deno.test("synthetic: one lesion per image, learnable colour contrast, but no global threshold segments it", () => {
  const N = 16, S = 96;
  // histograms of each channel inside / outside the lesion over all images
  const hist = [0, 1, 2].map(() => ({ fg: new Float64Array(256), bg: new Float64Array(256) }));
  for (let k = 0; k < N; k++) {
    const s = syntheticSample("train", k, { seed: 11, size: S });
    const m = s.mask!.data, d = s.image.data;
    let nf = 0;
    const sumF = [0, 0, 0], sumB = [0, 0, 0];
    for (let i = 0; i < m.length; i++) {
      nf += m[i];
      for (let c = 0; c < 3; c++) {
        (m[i] ? hist[c].fg : hist[c].bg)[d[3 * i + c]]++;
        if (m[i]) sumF[c] += d[3 * i + c];
        else sumB[c] += d[3 * i + c];
      }
    }
    const frac = nf / m.length;
    assert(frac > 0.02 && frac < 0.5, `image ${k}: lesion covers ${frac}`);
    const diff = Math.max(...[0, 1, 2].map((c) => Math.abs(sumF[c] / nf - sumB[c] / (m.length - nf))));
    assert(diff > 15, `image ${k}: lesion and background mean colours differ by only ${diff}`);
  }
  // best single-channel global threshold (either direction): Dice from cumulative histograms
  let best = 0;
  for (const { fg, bg } of hist) {
    const totF = fg.reduce((a, b) => a + b), totB = bg.reduce((a, b) => a + b);
    let aboveF = totF, aboveB = totB;
    for (let t = 0; t < 256; t++) {
      aboveF -= fg[t];
      aboveB -= bg[t];
      const up = (2 * aboveF) / (aboveF + aboveB + totF),
        down = (2 * (totF - aboveF)) / (totF - aboveF + totB - aboveB + totF);
      best = Math.max(best, up, down);
    }
  }
  assert(best < 0.85, `a global threshold reaches Dice ${best}: the task would be trivial`);
});
