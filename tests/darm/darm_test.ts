// DARM: share of the disagreement ring masked, locality, reproducibility, both variants, tensors.
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertNotEquals, assertThrows } from "../assert.ts";
import { selectBackend } from "../../lib/backend/mod.ts";
import { Rng } from "../../lib/core/mod.ts";
import { darmGaze, darmPrediction, darmTensors } from "../../lib/darm/mod.ts";
import { noLeak } from "../models/grad_check.ts";

await selectBackend("cpu", { quiet: true });

const shape = { batch: 2, height: 64, width: 64, channels: 3 };
const N = shape.batch * shape.height * shape.width;

/** Two nested disks per image (radius 8 inside 14, centres differ per image): the ring is U. */
function masks() {
  const mhc = new Float32Array(N), mbc = new Float32Array(N);
  for (let b = 0; b < 2; b++) {
    const [cy, cx] = b === 0 ? [30, 30] : [20, 40];
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        const r = Math.hypot(y - cy, x - cx);
        mhc[b * 4096 + y * 64 + x] = r <= 8 ? 1 : 0;
        mbc[b * 4096 + y * 64 + x] = r <= 14 ? 1 : 0;
      }
    }
  }
  const image = Float32Array.from({ length: N * 3 }, (_, i) => 1 + (i % 7));
  return { image, mhc, mbc, shape };
}

Deno.test("darmGaze masks about the requested share of the ring, only near it, image and M_bc alike", () => {
  const input = masks();
  const imageCopy = input.image.slice(), mbcCopy = input.mbc.slice();
  const ring: number[] = [];
  for (let i = 0; i < N; i++) if (input.mhc[i] !== input.mbc[i]) ring.push(i);
  for (const ratio of [0.1, 0.3, 0.6]) {
    const r = darmGaze(input, { rng: new Rng(1), ratio });
    assertEquals(r.candidates, ring.length);
    // Stops at the first block that reaches floor(ratio * |U|) (a block adds at most 11 x 11 pixels).
    const target = Math.floor(ring.length * ratio);
    assert(r.maskedArea >= target && r.maskedArea < target + 121, `${r.maskedArea}`);
    const blocked = r.blocks.reduce((a, v) => a + v, 0);
    assert(blocked <= r.maskedArea && blocked > 0.5 * ratio * ring.length, `blocked ${blocked}`);
    // Share of the ring covered: overlaps and blocks spilling over the ring edges make it smaller
    // than the ratio, but of the same order.
    const ringCovered = ring.filter((i) => r.blocks[i]).length / ring.length;
    assert(ringCovered > 0.35 * ratio && ringCovered <= ratio + 0.01, `ring share ${ringCovered} for ${ratio}`);
    for (let i = 0; i < N; i++) {
      if (r.blocks[i]) {
        // Every blocked pixel is within 5 px (half the largest block) of a ring pixel of its image.
        const b = Math.floor(i / 4096), y = Math.floor((i % 4096) / 64), x = i % 64;
        let near = false;
        for (let dy = -5; dy <= 5 && !near; dy++) {
          for (let dx = -5; dx <= 5 && !near; dx++) {
            const yy = y + dy, xx = x + dx;
            if (yy < 0 || xx < 0 || yy >= 64 || xx >= 64) continue;
            const j = b * 4096 + yy * 64 + xx;
            near = input.mhc[j] !== input.mbc[j];
          }
        }
        assert(near, `blocked pixel ${i} is far from the ring`);
        assertEquals(r.mbc[i], 0);
        for (let c = 0; c < 3; c++) assertEquals(r.image[i * 3 + c], 0);
      } else {
        assertEquals(r.mbc[i], input.mbc[i]);
        for (let c = 0; c < 3; c++) assertEquals(r.image[i * 3 + c], input.image[i * 3 + c]);
      }
    }
  }
  // The inputs are not modified.
  assertEquals(input.image, imageCopy);
  assertEquals(input.mbc, mbcCopy);
});

Deno.test("darmGaze is reproducible from its seed; block sides stay in 3..10; no ring, no mask", () => {
  const input = masks();
  const a = darmGaze(input, { rng: new Rng(5) }), b = darmGaze(input, { rng: new Rng(5) });
  assertEquals(a.blocks, b.blocks);
  assertEquals(a.image, b.image);
  assertNotEquals(Array.from(a.blocks), Array.from(darmGaze(input, { rng: new Rng(6) }).blocks));
  // Fixed block side 3 on an isolated pixel: exactly a 3 x 3 square.
  const one = { ...input, mhc: new Float32Array(N), mbc: new Float32Array(N) };
  one.mbc[32 * 64 + 32] = 1;
  const r = darmGaze(one, { rng: new Rng(0), minBlock: 3, maxBlock: 3, ratio: 1 });
  assertEquals(r.blockCount, 1);
  assertEquals(r.maskedArea, 9);
  for (let y = 31; y <= 33; y++) for (let x = 31; x <= 33; x++) assertEquals(r.blocks[y * 64 + x], 1);
  assertEquals(r.blocks.reduce((s, v) => s + v, 0), 9);
  // Default sides k uniform over 3..10; an interior window has the odd side 2 floor(k/2) + 1.
  const seen = new Set<number>();
  for (let seed = 0; seed < 200; seed++) {
    const area = darmGaze(one, { rng: new Rng(seed), ratio: 1 }).maskedArea;
    const side = Math.sqrt(area);
    assert(Number.isInteger(side) && side % 2 === 1 && side >= 3 && side <= 11, `area ${area}`);
    seen.add(side);
  }
  assertEquals([...seen].sort((a, b) => a - b), [3, 5, 7, 9, 11]);
  // A block at the image corner is clipped, and its clipped area is what counts.
  const corner = { ...input, mhc: new Float32Array(N), mbc: new Float32Array(N) };
  corner.mbc[0] = 1;
  const c = darmGaze(corner, { rng: new Rng(0), minBlock: 4, maxBlock: 4, ratio: 1 });
  assertEquals(c.maskedArea, 9); // rows/cols -2..2 clipped to 0..2
  const ck = darmGaze(corner, { rng: new Rng(0), minBlock: 4, maxBlock: 4, ratio: 1, window: "side-k" });
  assertEquals(ck.maskedArea, 4); // rows/cols -2..1 clipped to 0..1
  const same = darmGaze({ ...input, mhc: input.mbc }, { rng: new Rng(0) });
  assertEquals([same.candidates, same.maskedArea, same.blockCount], [0, 0, 0]);
  assertThrows(() => darmGaze({ ...input, mhc: new Float32Array(5) }, { rng: new Rng(0) }), Error, "mhc");
  assertThrows(() => darmGaze(input, { rng: new Rng(0), minBlock: 5, maxBlock: 4 }), Error, "minBlock");
});

Deno.test("darmPrediction masks where teacher and student disagree, largest gap first", () => {
  const input = masks();
  const pt = new Float32Array(N).fill(0.9), ps = new Float32Array(N).fill(0.8);
  // Disagreement (0.9 vs 0.2) in rows 10..13 of image 0; the largest gap (0.99 vs 0.01) at (40, 50).
  for (let y = 10; y < 14; y++) for (let x = 0; x < 64; x++) ps[y * 64 + x] = 0.2;
  pt[40 * 64 + 50] = 0.99;
  ps[40 * 64 + 50] = 0.01;
  const r = darmPrediction({ image: input.image, mbc: input.mbc, teacherProb: pt, studentProb: ps, shape }, {
    rng: new Rng(2),
    ratio: 0.01,
  });
  assertEquals(r.candidates, 4 * 64 + 1);
  assertEquals(r.blocks[40 * 64 + 50], 1); // the first block sits on the largest gap
  for (let i = 0; i < N; i++) {
    const y = Math.floor((i % 4096) / 64);
    if (r.blocks[i]) {
      assert(i < 4096 && ((y >= 5 && y < 19) || (y >= 35 && y <= 45)), `pixel ${i} is not near a disagreement`);
    }
  }
});

Deno.test("darmTensors equals the array version and leaks nothing", async () => {
  const input = masks();
  await noLeak("darmTensors", () => {
    const image = tf.tensor4d(input.image, [2, 64, 64, 3]);
    const mhc = tf.tensor4d(input.mhc, [2, 64, 64, 1]), mbc = tf.tensor4d(input.mbc, [2, 64, 64, 1]);
    const t = darmTensors({ image, mhc, mbc }, { variant: "gaze", rng: new Rng(3) });
    const a = darmGaze(input, { rng: new Rng(3) });
    assertEquals(t.mbc.shape, [2, 64, 64, 1]);
    assertEquals(Array.from(t.image.dataSync()), Array.from(a.image));
    assertEquals(Array.from(t.mbc.dataSync()), Array.from(a.mbc));
    assertEquals(Array.from(t.blocks.dataSync()), Array.from(a.blocks));
    assertEquals(t.candidates, a.candidates);
    assertThrows(() => darmTensors({ image, mbc }, { variant: "gaze", rng: new Rng(3) }), Error, "mhc");
    tf.dispose([image, mhc, mbc, t]);
  });
});

Deno.test("DARM window and stop rule follow the released code (hand-worked), old rules behind options", () => {
  const input = masks();
  // One candidate at (32, 32) of image 0, side k = 4: the released window is rows/cols 30..34 (5 x 5).
  const one = { ...input, mhc: new Float32Array(N), mbc: new Float32Array(N) };
  one.mbc[32 * 64 + 32] = 1;
  const r = darmGaze(one, { rng: new Rng(0), minBlock: 4, maxBlock: 4, ratio: 1 });
  assertEquals([r.blockCount, r.maskedArea], [1, 25]);
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) {
      assertEquals(r.blocks[y * 64 + x], y >= 30 && y <= 34 && x >= 30 && x <= 34 ? 1 : 0, `(${y}, ${x})`);
    }
  }
  const old = darmGaze(one, { rng: new Rng(0), minBlock: 4, maxBlock: 4, ratio: 1, window: "side-k" });
  assertEquals(old.maskedArea, 16); // rows/cols 30..33
  assertEquals(old.blocks[33 * 64 + 33], 1);
  assertEquals(old.blocks[34 * 64 + 34], 0);
  // Three candidates, ratio 0.3: the released target is int(0.9) = 0, so nothing is masked;
  // the exact target 0.9 places one block.
  const three = { ...input, mhc: new Float32Array(N), mbc: new Float32Array(N) };
  for (const p of [100, 2000, 3000]) three.mbc[p] = 1;
  const f = darmGaze(three, { rng: new Rng(1), ratio: 0.3 });
  assertEquals([f.candidates, f.blockCount, f.maskedArea], [3, 0, 0]);
  assertEquals(f.image, input.image);
  const e = darmGaze(three, { rng: new Rng(1), ratio: 0.3, target: "exact" });
  assertEquals(e.blockCount, 1);
  // Ten candidates, ratio 0.3: target int(3.0000000000000004) = 3; one 3 x 3 block (9 >= 3) ends it.
  const ten = { ...input, mhc: new Float32Array(N), mbc: new Float32Array(N) };
  for (let i = 0; i < 10; i++) ten.mbc[(10 + 4 * i) * 64 + 20 + 2 * i] = 1;
  const t = darmGaze(ten, { rng: new Rng(2), ratio: 0.3, minBlock: 3, maxBlock: 3 });
  assertEquals([t.candidates, t.blockCount, t.maskedArea], [10, 1, 9]);
  assertThrows(() => darmGaze(one, { rng: new Rng(0), window: "square" as "odd" }), Error, "window");
});

Deno.test("DARM variants of this toolkit: ring+random adds an equal area elsewhere; mean and noise fills", () => {
  const input = masks();
  // One candidate at (32, 32), side 3: the ring block is rows/cols 31..33 (area 9, M_bc zeroed there).
  const one = { ...input, mhc: new Float32Array(N), mbc: new Float32Array(N).fill(1) };
  one.mhc.fill(1);
  one.mhc[32 * 64 + 32] = 0;
  const r = darmGaze(one, { rng: new Rng(4), minBlock: 3, maxBlock: 3, ratio: 1, placement: "ring+random" });
  assertEquals(r.maskedArea, 9);
  assert(r.randomArea >= 9 && r.randomArea < 18, `random area ${r.randomArea}`);
  for (let i = 0; i < N; i++) {
    const y = Math.floor((i % 4096) / 64), x = i % 64;
    const ring = i < 4096 && y >= 31 && y <= 33 && x >= 31 && x <= 33;
    assertEquals(r.mbc[i], ring ? 0 : 1, "random blocks keep M_bc"); // M_bc zeroed in the ring block only
    if (r.blocks[i]) { for (let c = 0; c < 3; c++) assertEquals(r.image[i * 3 + c], 0); }
  }
  const blocked = r.blocks.reduce((a, v) => a + v, 0);
  assert(blocked > 9, "blocks outside the ring exist");
  const plain = darmGaze(one, { rng: new Rng(4), minBlock: 3, maxBlock: 3, ratio: 1 });
  assertEquals([plain.randomArea, plain.blocks.reduce((a, v) => a + v, 0)], [0, 9]);
  // Mean fill on a 1-channel 4 x 4 image with values 0..15: the block (rows/cols 0..2 around (1, 1)) gets 7.5.
  const small = { batch: 1, height: 4, width: 4, channels: 1 };
  const image = Float32Array.from({ length: 16 }, (_, i) => i);
  const mbc = new Float32Array(16), mhc = new Float32Array(16);
  mbc[5] = 1;
  const m = darmGaze({ image, mbc, mhc, shape: small }, {
    rng: new Rng(0),
    minBlock: 3,
    maxBlock: 3,
    ratio: 1,
    fill: "mean",
  });
  assertEquals(Array.from(m.image), [7.5, 7.5, 7.5, 3, 7.5, 7.5, 7.5, 7, 7.5, 7.5, 7.5, 11, 12, 13, 14, 15]);
  // Noise fill: normal of the image's own mean and std; a constant image gets its constant back.
  const flat = new Float32Array(16).fill(2);
  const n = darmGaze({ image: flat, mbc, mhc, shape: small }, {
    rng: new Rng(0),
    minBlock: 3,
    maxBlock: 3,
    ratio: 1,
    fill: "noise",
  });
  assertEquals(Array.from(n.image), Array.from(flat));
  const nv = darmGaze({ image, mbc, mhc, shape: small }, {
    rng: new Rng(0),
    minBlock: 3,
    maxBlock: 3,
    ratio: 1,
    fill: "noise",
  });
  const filled = [0, 1, 2, 4, 5, 6, 8, 9, 10].map((i) => nv.image[i]);
  assert(new Set(filled).size === 9 && filled.every(Number.isFinite), `${filled}`);
  assertThrows(() => darmGaze(one, { rng: new Rng(0), fill: "blur" as "zero" }), Error, "fill");
});

Deno.test("DARM variant of this toolkit: mixed placement, ring with probability p, uniform otherwise; stop rule kept", () => {
  const input = masks();
  const ring: number[] = [];
  for (let i = 0; i < N; i++) if (input.mhc[i] !== input.mbc[i]) ring.push(i);
  const onRing = new Uint8Array(N);
  for (const i of ring) onRing[i] = 1;
  // p = 1 is `ring` by construction (no Bernoulli draw): the same generator gives the same result.
  for (const [seed, ratio] of [[0, 0.3], [1, 0.1], [2, 0.6]]) {
    const a = darmGaze(input, { rng: new Rng(seed), ratio, placement: "mixed", ringProbability: 1 });
    assertEquals(a, darmGaze(input, { rng: new Rng(seed), ratio }));
  }
  // Hand-worked draw order on one candidate at (32, 32) (a 1-element shuffle draws nothing), side 3,
  // ratio 1 (target 1, so exactly one block): u = next(); u < p -> the ring block (rows/cols 31..33,
  // M_bc zeroed); else centre = int(0, N - 1) (image only, M_bc kept); then k.
  const one = { ...input, mhc: new Float32Array(N), mbc: new Float32Array(N) };
  one.mbc[32 * 64 + 32] = 1;
  let sawRing = false, sawUniform = false;
  for (let seed = 0; seed < 12; seed++) {
    const g = new Rng(seed);
    const u = g.next();
    const centre = u < 0.5 ? 32 * 64 + 32 : g.int(0, N - 1);
    const r = darmGaze(one, { rng: new Rng(seed), minBlock: 3, maxBlock: 3, ratio: 1, placement: "mixed" });
    const b = Math.floor(centre / 4096), y = Math.floor((centre % 4096) / 64), x = centre % 64;
    const area = (Math.min(63, y + 1) - Math.max(0, y - 1) + 1) * (Math.min(63, x + 1) - Math.max(0, x - 1) + 1);
    assertEquals([r.blockCount, r.maskedArea, r.randomArea], [1, area, u < 0.5 ? 0 : area], `seed ${seed}`);
    for (let i = 0; i < N; i++) {
      const iy = Math.floor((i % 4096) / 64), ix = i % 64;
      const inBlock = Math.floor(i / 4096) === b && Math.abs(iy - y) <= 1 && Math.abs(ix - x) <= 1;
      assertEquals(r.blocks[i], inBlock ? 1 : 0, `seed ${seed}, pixel ${i}`);
      assertEquals(r.mbc[i], u < 0.5 && inBlock ? 0 : one.mbc[i], `seed ${seed}: M_bc at ${i}`);
    }
    if (u < 0.5) sawRing = true;
    else sawUniform = true;
  }
  assert(sawRing && sawUniform, "both branches exercised");
  // Distributions with 1-pixel blocks (k = 1: a block is its centre), ratio 1: target |U| blocks.
  const px = { minBlock: 1, maxBlock: 1, ratio: 1, placement: "mixed" as const };
  let uniformOnRing = 0, uniformTotal = 0, ringBlocks = 0, blocksTotal = 0;
  for (let seed = 0; seed < 4; seed++) {
    // p = 0: no preference for the ring (centres on the ring at the ring's share of pixels, ~10 %), M_bc untouched.
    const z = darmGaze(input, { ...px, rng: new Rng(seed), ringProbability: 0 });
    assertEquals(z.mbc, input.mbc);
    assertEquals([z.maskedArea, z.randomArea, z.blockCount], [ring.length, ring.length, ring.length]);
    let hits = 0, blocked = 0;
    for (let i = 0; i < N; i++) if (z.blocks[i]) (blocked++, hits += onRing[i]);
    const share = hits / blocked, ringShare = ring.length / N;
    assert(Math.abs(share - ringShare) < 0.05, `p = 0: ${share} of centres on the ring vs ${ringShare} of pixels`);
    // p = 1: every block centre on the ring; with k = 1 and ratio 1, the ring exactly.
    const o = darmGaze(input, { ...px, rng: new Rng(seed), ringProbability: 1 });
    assertEquals(Array.from(o.blocks), Array.from(onRing));
    assertEquals(o.randomArea, 0);
    // p = 0.25: about a quarter of the blocks from the ring (those zero M_bc), the rest uniform.
    const q = darmGaze(input, { ...px, rng: new Rng(seed), ringProbability: 0.25 });
    const zeroed = ring.filter((i) => q.mbc[i] === 0).length;
    assertEquals(zeroed, q.blockCount - q.randomArea, "ring blocks = M_bc pixels zeroed (k = 1, no repeats)");
    assertEquals(q.maskedArea, ring.length, "stop rule: total area reaches floor(ratio |U|)");
    ringBlocks += zeroed;
    blocksTotal += q.blockCount;
    uniformTotal += q.randomArea;
    for (let i = 0; i < N; i++) if (q.blocks[i] && onRing[i] && q.mbc[i] !== 0) uniformOnRing++;
  }
  // 4 x ~830 blocks: binomial sd of the share ~0.008.
  assert(Math.abs(ringBlocks / blocksTotal - 0.25) < 0.04, `ring share ${ringBlocks / blocksTotal} for p = 0.25`);
  assert(uniformOnRing / uniformTotal < 0.15, `uniform blocks land on the ring at its pixel share (${uniformOnRing})`);
  // Stop rule unchanged at the default block sizes: stops at the first block reaching floor(ratio |U|).
  for (const ratio of [0.1, 0.3]) {
    const r = darmGaze(input, { rng: new Rng(7), ratio, placement: "mixed" });
    const target = Math.floor(ring.length * ratio);
    assert(r.maskedArea >= target && r.maskedArea < target + 121, `${r.maskedArea} vs ${target}`);
    assert(r.randomArea > 0 && r.randomArea < r.maskedArea, "both kinds of block at p = 0.5");
  }
  // Three candidates, ratio 0.3: floor target 0, nothing masked whatever p.
  const three = { ...input, mhc: new Float32Array(N), mbc: new Float32Array(N) };
  for (const p of [100, 2000, 3000]) three.mbc[p] = 1;
  for (const p of [0, 0.5, 1]) {
    const f = darmGaze(three, { rng: new Rng(1), ratio: 0.3, placement: "mixed", ringProbability: p });
    assertEquals([f.blockCount, f.maskedArea], [0, 0]);
  }
  for (const bad of [-0.1, 1.5, NaN]) {
    assertThrows(() => darmGaze(input, { rng: new Rng(0), placement: "mixed", ringProbability: bad }), Error, "[0, 1]");
  }
  assertThrows(() => darmGaze(input, { rng: new Rng(0), placement: "rim" as "ring" }), Error, '"mixed"');
});
