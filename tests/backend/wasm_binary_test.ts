// Rewriting wasm memory types to shared (lib/backend/wasm_binary.ts), on hand-assembled modules.
import {
  SHARED_MAX_PAGES,
  sharedMemoryDefinition,
  sharedMemoryImport,
  withSharedEmscriptenHeap,
} from "../../lib/backend/wasm_binary.ts";
import { assert, assertEquals, assertThrows } from "../assert.ts";

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
/** Export section: the memory 0 as "mem". */
const EXPORT_MEM = [0x07, 0x07, 0x01, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00];
/** A module defining one memory (min 1 page, max 2 when `max`) and exporting it. */
const defining = (max: boolean) =>
  new Uint8Array([
    ...HEADER,
    ...(max ? [0x05, 0x04, 0x01, 0x01, 0x01, 0x02] : [0x05, 0x03, 0x01, 0x00, 0x01]),
    ...EXPORT_MEM,
  ]);
/** A module importing env.memory (min 1 page, no maximum). */
const importing = new Uint8Array([
  ...HEADER,
  ...[0x02, 0x0f, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x01],
]);
/** A module importing env.f: () -> () (a function, not a memory). */
const importingFunction = new Uint8Array([
  ...HEADER,
  ...[0x01, 0x04, 0x01, 0x60, 0x00, 0x00], // type section: () -> ()
  ...[0x02, 0x0a, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x66, 0x00, 0x00], // import env.f, type 0
]);

async function exportedMemory(bytes: Uint8Array, imports: WebAssembly.Imports = {}): Promise<WebAssembly.Memory> {
  const { instance } = await WebAssembly.instantiate(bytes as BufferSource, imports);
  return instance.exports.mem as WebAssembly.Memory;
}

Deno.test("sharedMemoryDefinition: a defined memory becomes shared, its maximum kept or set to 4 GiB", async () => {
  assert(
    !((await exportedMemory(defining(true))).buffer instanceof SharedArrayBuffer),
    "unpatched memory is not shared",
  );
  const m = await exportedMemory(sharedMemoryDefinition(defining(true)));
  assert(m.buffer instanceof SharedArrayBuffer, "patched memory is shared");
  assertEquals(m.buffer.byteLength, 65536);
  m.grow(1); // to the maximum of 2 pages
  assertThrows(() => m.grow(1), RangeError);
  const open = await exportedMemory(sharedMemoryDefinition(defining(false)));
  assert(open.buffer instanceof SharedArrayBuffer);
  assertEquals(SHARED_MAX_PAGES, 65536);
  open.grow(3); // no maximum before: 4 GiB now
  assertEquals(open.buffer.byteLength, 4 * 65536);
  assertThrows(() => sharedMemoryDefinition(importing), Error, "no memory section");
});

Deno.test("sharedMemoryImport: the module links to a shared memory only after the rewrite", () => {
  const shared = new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true });
  const plain = new WebAssembly.Memory({ initial: 1 });
  const mod = new WebAssembly.Module(sharedMemoryImport(importing) as BufferSource);
  new WebAssembly.Instance(mod, { env: { memory: shared } });
  assertThrows(() => new WebAssembly.Instance(mod, { env: { memory: plain } }), WebAssembly.LinkError);
  const unpatched = new WebAssembly.Module(importing as BufferSource);
  assertThrows(() => new WebAssembly.Instance(unpatched, { env: { memory: shared } }), WebAssembly.LinkError);
  assertThrows(() => sharedMemoryImport(importingFunction), Error, "only import");
  assertThrows(() => sharedMemoryImport(defining(true)), Error, "no import section");
});

Deno.test("withSharedEmscriptenHeap: rewrites Emscripten instantiations only, and only while it runs", async () => {
  const original = WebAssembly.instantiate;
  const emscripten = { env: { emscripten_resize_heap: () => 0 } };
  const [inside, other] = await withSharedEmscriptenHeap(async () => [
    await exportedMemory(defining(true), emscripten),
    await exportedMemory(defining(true), { env: {} }),
  ]);
  assert(inside.buffer instanceof SharedArrayBuffer, "an Emscripten module's memory is shared");
  assert(!(other.buffer instanceof SharedArrayBuffer), "another module's memory is left alone");
  assert(WebAssembly.instantiate === original, "WebAssembly.instantiate restored");
  const after = await exportedMemory(defining(true), emscripten);
  assert(!(after.buffer instanceof SharedArrayBuffer), "no rewriting after it returned");
  await withSharedEmscriptenHeap(() => Promise.reject(new Error("init failed"))).catch(() => {});
  assert(WebAssembly.instantiate === original, "restored after a failure too");
});
