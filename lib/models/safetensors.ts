/**
 * The safetensors file format, written and read by the toolkit itself: an 8-byte little-endian
 * header length N, N bytes of JSON header (`{name: {dtype, shape, data_offsets: [begin, end]}}`
 * plus an optional `__metadata__` object of string values, padded with spaces to a multiple of 8),
 * then the raw little-endian tensor bytes. Readable by `safetensors.torch.load_file`.
 *
 * @module
 */

/** Element types supported here. */
export type SafetensorsDtype = "F32" | "I32" | "U8" | "F64" | "I64";

/** One tensor's data as stored. */
export interface SafetensorsEntry {
  /** Element type. */
  dtype: SafetensorsDtype;
  /** Shape (empty for a scalar). */
  shape: number[];
  /** Raw values, length = product of the shape. I64 values are held as float64 numbers. */
  data: Float32Array | Int32Array | Uint8Array | Float64Array;
}

const BYTES: Record<SafetensorsDtype, number> = { F32: 4, I32: 4, U8: 1, F64: 8, I64: 8 };

function product(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Encode named tensors (in the map's order) and string metadata as safetensors bytes.
 *
 * @example
 * ```ts
 * import { decodeSafetensors, encodeSafetensors } from "../../mod.ts";
 * const bytes = encodeSafetensors(new Map([["w", { dtype: "F32", shape: [2], data: new Float32Array([1, 2]) }]]));
 * console.log(decodeSafetensors(bytes).tensors.get("w")?.data); // Float32Array [1, 2]
 * ```
 */
export function encodeSafetensors(
  tensors: Map<string, SafetensorsEntry>,
  options: { metadata?: Record<string, string> } = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (options.metadata) {
    for (const [k, v] of Object.entries(options.metadata)) {
      if (typeof v !== "string") throw new Error(`encodeSafetensors: metadata '${k}' must be a string`);
    }
    header.__metadata__ = options.metadata;
  }
  let offset = 0;
  for (const [name, e] of tensors) {
    if (name === "__metadata__") throw new Error("encodeSafetensors: '__metadata__' is reserved");
    if (!(e.dtype in BYTES)) throw new Error(`encodeSafetensors: '${name}' has unsupported dtype ${e.dtype}`);
    const n = product(e.shape);
    if (e.data.length !== n) {
      throw new Error(`encodeSafetensors: '${name}' has ${e.data.length} values, shape [${e.shape}] needs ${n}`);
    }
    const size = n * BYTES[e.dtype];
    header[name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  let headerBytes = enc.encode(json);
  const pad = (8 - (headerBytes.length % 8)) % 8;
  if (pad) {
    json += " ".repeat(pad);
    headerBytes = enc.encode(json);
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const e of tensors.values()) {
    const n = e.data.length;
    switch (e.dtype) {
      case "F32":
        for (let i = 0; i < n; i++) view.setFloat32(pos + 4 * i, e.data[i], true);
        break;
      case "I32":
        for (let i = 0; i < n; i++) view.setInt32(pos + 4 * i, e.data[i], true);
        break;
      case "U8":
        out.set(e.data as Uint8Array, pos);
        break;
      case "F64":
        for (let i = 0; i < n; i++) view.setFloat64(pos + 8 * i, e.data[i], true);
        break;
      case "I64":
        for (let i = 0; i < n; i++) view.setBigInt64(pos + 8 * i, BigInt(Math.round(e.data[i])), true);
        break;
    }
    pos += n * BYTES[e.dtype];
  }
  return out;
}

/**
 * Decode safetensors bytes. Errors name the field that is wrong (`source` names the file).
 * Tensors come back in file-offset order.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  options: { source?: string } = {},
): { tensors: Map<string, SafetensorsEntry>; metadata: Record<string, string> } {
  const src = options.source ?? "safetensors";
  if (bytes.length < 8) throw new Error(`${src}: too short for a safetensors header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (8 + n > bytes.length) throw new Error(`${src}: header length ${n} exceeds the file size ${bytes.length}`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (err) {
    throw new Error(`${src}: header is not valid JSON (${(err as Error).message})`);
  }
  const base = 8 + n;
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  const entries: [string, { dtype: SafetensorsDtype; shape: number[]; data_offsets: [number, number] }][] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const e = raw as { dtype: SafetensorsDtype; shape: number[]; data_offsets: [number, number] };
    if (!(e?.dtype in BYTES)) throw new Error(`${src}: tensor '${name}' has unsupported dtype ${e?.dtype}`);
    if (!Array.isArray(e.shape)) throw new Error(`${src}: tensor '${name}' has no shape array`);
    const [b, end] = e.data_offsets ?? [];
    if (!(Number.isInteger(b) && Number.isInteger(end)) || end - b !== product(e.shape) * BYTES[e.dtype]) {
      throw new Error(`${src}: tensor '${name}' data_offsets [${e.data_offsets}] do not match shape [${e.shape}]`);
    }
    if (base + end > bytes.length) throw new Error(`${src}: tensor '${name}' runs past the end of the file`);
    entries.push([name, e]);
  }
  entries.sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  const tensors = new Map<string, SafetensorsEntry>();
  for (const [name, e] of entries) {
    const count = product(e.shape);
    const pos = base + e.data_offsets[0];
    let data: SafetensorsEntry["data"];
    switch (e.dtype) {
      case "F32": {
        const a = new Float32Array(count);
        for (let i = 0; i < count; i++) a[i] = view.getFloat32(pos + 4 * i, true);
        data = a;
        break;
      }
      case "I32": {
        const a = new Int32Array(count);
        for (let i = 0; i < count; i++) a[i] = view.getInt32(pos + 4 * i, true);
        data = a;
        break;
      }
      case "U8":
        data = bytes.slice(pos, pos + count);
        break;
      case "F64": {
        const a = new Float64Array(count);
        for (let i = 0; i < count; i++) a[i] = view.getFloat64(pos + 8 * i, true);
        data = a;
        break;
      }
      case "I64": {
        const a = new Float64Array(count);
        for (let i = 0; i < count; i++) a[i] = Number(view.getBigInt64(pos + 8 * i, true));
        data = a;
        break;
      }
    }
    tensors.set(name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}
