/**
 * Build step for gaze_kernels.wasm: clang 14 emits the fused multiply-add of the relaxed-SIMD
 * *prototype* (`f32x4.fma`, opcode 0xfd 0xaf 0x01; from `__builtin_wasm_fma_f32x4`), which
 * today's engines do not accept. The final relaxed-SIMD opcode with the same operands is
 * `f32x4.relaxed_madd` (0xfd 0x85 0x02; a*b+c, fused where the CPU has FMA). This script walks
 * every instruction of the code section (so immediates are never mistaken for opcodes) and
 * rewrites the one into the other; any instruction it does not know is an error.
 *
 * Usage: `deno run --allow-read --allow-write patch_relaxed_simd.ts IN.wasm OUT.wasm`
 *
 * @module
 */

class Reader {
  constructor(readonly b: Uint8Array, public p = 0) {}
  byte(): number {
    if (this.p >= this.b.length) throw new Error(`unexpected end at ${this.p}`);
    return this.b[this.p++];
  }
  u32(): number {
    let r = 0, shift = 0, x: number;
    do {
      x = this.byte();
      r += (x & 0x7f) * 2 ** shift;
      shift += 7;
    } while (x & 0x80);
    return r;
  }
  /** Skip a signed LEB128 (any width). */
  sleb(): void {
    while (this.byte() & 0x80);
  }
  skip(n: number): void {
    this.p += n;
  }
}

const FMA_PROTO = 0xaf; // f32x4.fma (prototype, LLVM 14)
const FMA_PROTO_F64 = 0xcf; // f64x2.fma (prototype)
const RELAXED_MADD = 0x105; // f32x4.relaxed_madd (final)

/** Decode one function body from r.p to end; returns the byte offsets of prototype f32x4.fma opcodes. */
function scanBody(r: Reader, end: number): number[] {
  const hits: number[] = [];
  const nLocalGroups = r.u32();
  for (let i = 0; i < nLocalGroups; i++) {
    r.u32();
    r.byte();
  }
  while (r.p < end) {
    const at = r.p;
    const op = r.byte();
    if (op === 0x02 || op === 0x03 || op === 0x04) { // block/loop/if: blocktype
      const bt = r.b[r.p];
      if (bt === 0x40 || (bt >= 0x7b && bt <= 0x7f) || bt === 0x70 || bt === 0x6f) r.skip(1);
      else r.sleb();
    } else if (op === 0x0c || op === 0x0d) r.u32(); // br, br_if
    else if (op === 0x0e) { // br_table
      const n = r.u32();
      for (let i = 0; i <= n; i++) r.u32();
    } else if (op === 0x10) r.u32(); // call
    else if (op === 0x11) { // call_indirect
      r.u32();
      r.u32();
    } else if (op === 0x1c) { // select t*
      const n = r.u32();
      r.skip(n);
    } else if (op >= 0x20 && op <= 0x26) r.u32(); // locals, globals, table.get/set
    else if (op >= 0x28 && op <= 0x3e) { // loads/stores: memarg
      r.u32();
      r.u32();
    } else if (op === 0x3f || op === 0x40) r.u32(); // memory.size/grow
    else if (op === 0x41 || op === 0x42) r.sleb(); // i32/i64.const
    else if (op === 0x43) r.skip(4);
    else if (op === 0x44) r.skip(8);
    else if (op === 0xd0) r.skip(1); // ref.null t
    else if (op === 0xd2) r.u32(); // ref.func
    else if (op === 0xfc) {
      const sub = r.u32();
      if (sub <= 7) { /* trunc_sat */ }
      else if (sub === 8) {
        r.u32();
        r.skip(1);
      } else if (sub === 9 || sub === 13 || (sub >= 15 && sub <= 17)) r.u32();
      else if (sub === 10) r.skip(2);
      else if (sub === 11) r.skip(1);
      else if (sub === 12 || sub === 14) {
        r.u32();
        r.u32();
      } else throw new Error(`unknown 0xfc ${sub} at ${at}`);
    } else if (op === 0xfd) {
      const subAt = r.p;
      const sub = r.u32();
      if (sub <= 11 || sub === 92 || sub === 93) { // loads/stores, load32/64_zero: memarg
        r.u32();
        r.u32();
      } else if (sub === 12 || sub === 13) r.skip(16); // v128.const, i8x16.shuffle
      else if (sub >= 21 && sub <= 34) r.skip(1); // extract/replace lane
      else if (sub >= 84 && sub <= 91) { // load/store lane: memarg + lane
        r.u32();
        r.u32();
        r.skip(1);
      } else if (sub === FMA_PROTO) {
        if (r.p - subAt !== 2) throw new Error(`unexpected encoding of f32x4.fma at ${at}`);
        hits.push(subAt);
      } else if (sub === FMA_PROTO_F64 || sub === 0xb0 || sub === 0xd0) {
        throw new Error(`prototype relaxed-SIMD opcode 0x${sub.toString(16)} at ${at} has no rewrite`);
      } else if (sub > 0x113) throw new Error(`unknown SIMD opcode 0x${sub.toString(16)} at ${at}`);
    } else if (op > 0xd2 && op !== 0xfc && op !== 0xfd) throw new Error(`unknown opcode 0x${op.toString(16)} at ${at}`);
  }
  if (r.p !== end) throw new Error(`function body overran its size (${r.p} > ${end})`);
  return hits;
}

/** Rewrite every prototype `f32x4.fma` in a module into `f32x4.relaxed_madd`; returns the count. */
export function patchRelaxedSimd(wasm: Uint8Array): number {
  const r = new Reader(wasm, 8);
  let count = 0;
  while (r.p < wasm.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.p + size;
    if (id === 10) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const bodySize = r.u32();
        const bodyEnd = r.p + bodySize;
        for (const at of scanBody(r, bodyEnd)) {
          wasm[at] = 0x80 | (RELAXED_MADD & 0x7f);
          wasm[at + 1] = RELAXED_MADD >> 7;
          count++;
        }
      }
    }
    r.p = end;
  }
  return count;
}

if (import.meta.main) {
  const [inp, out] = Deno.args;
  if (!inp || !out) throw new Error("usage: patch_relaxed_simd.ts IN.wasm OUT.wasm");
  const bytes = Deno.readFileSync(inp);
  const n = patchRelaxedSimd(bytes);
  if (!WebAssembly.validate(bytes as BufferSource)) throw new Error("patched module does not validate");
  Deno.writeFileSync(out, bytes);
  console.error(`patch_relaxed_simd: ${n} f32x4.fma -> f32x4.relaxed_madd`);
}
