/**
 * Rewriting the memory type of a WebAssembly binary to shared, so that several threads can run
 * code on one `WebAssembly.Memory` (a shared memory needs a maximum size; the code is unchanged):
 *
 * - {@link sharedMemoryImport}: a module that imports its memory (the toolkit's
 *   gaze_kernels.wasm) declares the import shared;
 * - {@link sharedMemoryDefinition}: a module that defines its memory (tfjs-backend-wasm's
 *   Emscripten build) defines it shared, so that its heap, where every tensor lives, is a
 *   `SharedArrayBuffer` the toolkit's worker threads read and write in place.
 *
 * @module
 */

/** Pages (64 KiB) of the maximum given to a shared memory that declared none: 4 GiB. */
export const SHARED_MAX_PAGES = 65536;

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/** A cursor over a binary that reads unsigned LEB128 numbers. */
class Reader {
  constructor(readonly bytes: Uint8Array, public p: number) {}
  u32(): number {
    let r = 0, shift = 0, x: number;
    do {
      x = this.bytes[this.p++];
      r += (x & 0x7f) * 2 ** shift;
      shift += 7;
    } while (x & 0x80);
    return r;
  }
}

/** Read memory limits at the cursor; return them re-encoded as shared (maximum kept, else {@link SHARED_MAX_PAGES}). */
function sharedLimits(r: Reader): number[] {
  const flags = r.u32();
  const min = r.u32();
  const max = flags & 1 ? r.u32() : SHARED_MAX_PAGES;
  if (flags & ~3) throw new Error(`wasm binary: unsupported memory limits flags 0x${flags.toString(16)}`);
  return [0x03, ...leb(min), ...leb(max)];
}

/**
 * Replace the body of the first section with id `id` by `rewrite(reader at the body start)`;
 * throws `missing` when there is no such section.
 */
function replaceSection(wasm: Uint8Array, id: number, missing: string, rewrite: (r: Reader) => number[]): Uint8Array {
  const r = new Reader(wasm, 8);
  while (r.p < wasm.length) {
    const start = r.p;
    const sid = wasm[r.p++];
    const size = r.u32();
    const body = r.p;
    if (sid !== id) {
      r.p = body + size;
      continue;
    }
    const out = rewrite(r);
    const section = [id, ...leb(out.length), ...out];
    const res = new Uint8Array(wasm.length - (body + size - start) + section.length);
    res.set(wasm.subarray(0, start));
    res.set(section, start);
    res.set(wasm.subarray(body + size), start + section.length);
    return res;
  }
  throw new Error(missing);
}

/**
 * The module with its memory import declared shared (maximum kept, else
 * {@link SHARED_MAX_PAGES}). Throws when the module imports anything but one memory.
 */
export function sharedMemoryImport(wasm: Uint8Array): Uint8Array {
  return replaceSection(wasm, 2, "wasm binary: no import section", (r) => {
    const out: number[] = [];
    const n = r.u32();
    out.push(...leb(n));
    for (let i = 0; i < n; i++) {
      const from = r.p;
      const moduleName = r.u32();
      r.p += moduleName;
      const fieldName = r.u32();
      r.p += fieldName;
      const kind = wasm[r.p++];
      out.push(...wasm.subarray(from, r.p));
      if (kind !== 2) throw new Error("wasm binary: expected the memory to be its only import");
      out.push(...sharedLimits(r));
    }
    return out;
  });
}

/**
 * The module with its (one) defined memory declared shared (maximum kept, else
 * {@link SHARED_MAX_PAGES}). Throws when the module defines no memory or several.
 */
export function sharedMemoryDefinition(wasm: Uint8Array): Uint8Array {
  return replaceSection(wasm, 5, "wasm binary: no memory section (the memory is imported)", (r) => {
    const n = r.u32();
    if (n !== 1) throw new Error(`wasm binary: ${n} memories defined, expected 1`);
    return [1, ...sharedLimits(r)];
  });
}

/** Whether an import object is an Emscripten module's (tfjs-backend-wasm's glue passes one). */
function isEmscriptenImports(imports: unknown): boolean {
  const env = (imports as { env?: Record<string, unknown> } | undefined)?.env;
  return typeof env?.emscripten_resize_heap === "function";
}

/**
 * Run `fn` (which initialises tfjs-backend-wasm) with `WebAssembly.instantiate` wrapped so that an
 * Emscripten binary instantiated from bytes meanwhile gets its memory defined shared
 * ({@link sharedMemoryDefinition}); the original function is put back when `fn` settles. A
 * binary that defines no memory, or one instantiated otherwise (streaming, a compiled module), is
 * left as it is: check the result with `memory.buffer instanceof SharedArrayBuffer`.
 */
export async function withSharedEmscriptenHeap<T>(fn: () => Promise<T>): Promise<T> {
  const wa = WebAssembly as unknown as { instantiate: (...a: unknown[]) => Promise<unknown> };
  const original = wa.instantiate;
  wa.instantiate = function (source: unknown, imports: unknown, ...rest: unknown[]) {
    if (isEmscriptenImports(imports) && (source instanceof ArrayBuffer || ArrayBuffer.isView(source))) {
      const v = source as ArrayBufferView | ArrayBuffer;
      const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      try {
        source = sharedMemoryDefinition(bytes);
      } catch {
        // no memory of its own: instantiate it unchanged
      }
    }
    return original.call(WebAssembly, source, imports, ...rest);
  };
  try {
    return await fn();
  } finally {
    wa.instantiate = original;
  }
}
