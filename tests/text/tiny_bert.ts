/**
 * Test fixture generator: a tiny random-weight BERT-style encoder (1 layer,
 * hidden 32) in the folder layout transformers.js reads
 * (`config.json`, `tokenizer.json`, `tokenizer_config.json`, `onnx/model.onnx`),
 * written at test time into a temporary folder. The ONNX protobuf is encoded
 * here by hand (no Python, no committed binary): word, position and token-type
 * embeddings, one single-head self-attention layer and a ReLU feed-forward block,
 * each with LayerNorm.
 * Its vectors carry no meaning: it
 * only proves the offline loading path (tokenizer -> ONNX -> token states).
 *
 * @module
 */
import { join } from "node:path";
import { Rng } from "../../lib/core/rng.ts";

/** Hidden size of the tiny model. */
export const TINY_HIDDEN = 32;

// ---------------------------------------------------------------- protobuf writer
class Pb {
  readonly bytes: number[] = [];
  varint(v: number | bigint): this {
    let n = BigInt.asUintN(64, BigInt(v));
    while (n >= 0x80n) {
      this.bytes.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.bytes.push(Number(n));
    return this;
  }
  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }
  int(field: number, v: number | bigint): this {
    return this.tag(field, 0).varint(v);
  }
  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.bytes.push(...b);
    return this;
  }
  raw(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    for (const x of b) this.bytes.push(x);
    return this;
  }
  str(field: number, s: string): this {
    return this.raw(field, new TextEncoder().encode(s));
  }
  msg(field: number, m: Pb): this {
    return this.raw(field, Uint8Array.from(m.bytes));
  }
}

const FLOAT = 1, INT64 = 7;

function tensor(name: string, dims: number[], values: Float32Array | BigInt64Array): Pb {
  const t = new Pb();
  for (const d of dims) t.int(1, d);
  t.int(2, values instanceof Float32Array ? FLOAT : INT64);
  t.str(8, name);
  t.raw(9, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return t;
}

type Attr = { name: string; i?: number; ints?: number[]; f?: number };
function node(op: string, inputs: string[], outputs: string[], attrs: Attr[] = []): Pb {
  const n = new Pb();
  for (const i of inputs) n.str(1, i);
  for (const o of outputs) n.str(2, o);
  n.str(4, op);
  for (const a of attrs) {
    const p = new Pb().str(1, a.name);
    if (a.i !== undefined) p.int(3, a.i).int(20, 2);
    else if (a.ints) {
      for (const v of a.ints) p.int(8, v);
      p.int(20, 7);
    } else if (a.f !== undefined) p.float(2, a.f).int(20, 1);
    n.msg(5, p);
  }
  return n;
}

function valueInfo(name: string, elemType: number, dims: (number | string)[]): Pb {
  const shape = new Pb();
  for (const d of dims) shape.msg(1, typeof d === "number" ? new Pb().int(1, d) : new Pb().str(2, d));
  const tt = new Pb().int(1, elemType).msg(2, shape);
  return new Pb().str(1, name).msg(2, new Pb().msg(1, tt));
}

// ---------------------------------------------------------------- model
/**
 * Write the tiny model into `dir` (created) and return `dir`. Deterministic:
 * the same `seed` gives byte-identical files. `words` extends the word-level
 * vocabulary (anything else falls back to single characters).
 */
export async function writeTinyBert(dir: string, options: { seed?: number; words?: string[] } = {}): Promise<string> {
  const H = TINY_HIDDEN, FF = 64, MAXPOS = 128;
  const rng = new Rng(options.seed ?? 0);
  const specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
  const base = "location boundary characteristics area percentage confidence remarks upper lower left right center " +
    "middle well defined ill moderately high medium low none reddish pale smooth surface , : ; % < > - .";
  const words = [...new Set([...base.split(/\s+/), ...(options.words ?? [])].map((w) => w.toLowerCase()))].sort();
  const chars = "abcdefghijklmnopqrstuvwxyz0123456789".split("");
  const vocabList = [...specials, ...words, ...chars.filter((c) => !words.includes(c)), ...chars.map((c) => "##" + c)];
  const vocab: Record<string, number> = {};
  vocabList.forEach((t, i) => (vocab[t] = i));
  const V = vocabList.length;

  const init = (n: number, s = 0.2) => Float32Array.from({ length: n }, () => rng.normal(0, s));
  const ones = (n: number) => new Float32Array(n).fill(1);
  const zeros = (n: number) => new Float32Array(n);
  const inits: Pb[] = [
    tensor("Ew", [V, H], init(V * H)),
    tensor("Ep", [MAXPOS, H], init(MAXPOS * H)),
    tensor("Et", [2, H], init(2 * H)),
    tensor("ln0_g", [H], ones(H)),
    tensor("ln0_b", [H], zeros(H)),
    tensor("Wq", [H, H], init(H * H)),
    tensor("Wk", [H, H], init(H * H)),
    tensor("Wv", [H, H], init(H * H)),
    tensor("Wo", [H, H], init(H * H)),
    tensor("ln1_g", [H], ones(H)),
    tensor("ln1_b", [H], zeros(H)),
    tensor("W1", [H, FF], init(H * FF)),
    tensor("b1", [FF], zeros(FF)),
    tensor("W2", [FF, H], init(FF * H)),
    tensor("b2", [H], zeros(H)),
    tensor("ln2_g", [H], ones(H)),
    tensor("ln2_b", [H], zeros(H)),
    tensor("one_i", [], BigInt64Array.of(1n)),
    tensor("zero_i", [], BigInt64Array.of(0n)),
    tensor("scale", [], Float32Array.of(1 / Math.sqrt(H))),
    tensor("neg", [], Float32Array.of(-10000)),
    tensor("onef", [], Float32Array.of(1)),
    tensor("ax1", [1], BigInt64Array.of(1n)),
  ];
  const nodes = [
    node("Gather", ["Ew", "input_ids"], ["we"]),
    node("Shape", ["input_ids"], ["shp"]),
    node("Gather", ["shp", "one_i"], ["T"]),
    node("Range", ["zero_i", "T", "one_i"], ["pos"]),
    node("Gather", ["Ep", "pos"], ["pe"]),
    node("Gather", ["Et", "token_type_ids"], ["te"]),
    node("Add", ["we", "pe"], ["e1"]),
    node("Add", ["e1", "te"], ["e2"]),
    node("LayerNormalization", ["e2", "ln0_g", "ln0_b"], ["x0"], [{ name: "axis", i: -1 }, {
      name: "epsilon",
      f: 1e-12,
    }]),
    node("MatMul", ["x0", "Wq"], ["q"]),
    node("MatMul", ["x0", "Wk"], ["k"]),
    node("MatMul", ["x0", "Wv"], ["v"]),
    node("Transpose", ["k"], ["kT"], [{ name: "perm", ints: [0, 2, 1] }]),
    node("MatMul", ["q", "kT"], ["s0"]),
    node("Mul", ["s0", "scale"], ["s1"]),
    node("Cast", ["attention_mask"], ["mf"], [{ name: "to", i: FLOAT }]),
    node("Sub", ["onef", "mf"], ["inv"]),
    node("Mul", ["inv", "neg"], ["madd0"]),
    node("Unsqueeze", ["madd0", "ax1"], ["madd"]),
    node("Add", ["s1", "madd"], ["s2"]),
    node("Softmax", ["s2"], ["p"], [{ name: "axis", i: -1 }]),
    node("MatMul", ["p", "v"], ["ctx"]),
    node("MatMul", ["ctx", "Wo"], ["ao"]),
    node("Add", ["x0", "ao"], ["r1"]),
    node("LayerNormalization", ["r1", "ln1_g", "ln1_b"], ["x1"], [{ name: "axis", i: -1 }, {
      name: "epsilon",
      f: 1e-12,
    }]),
    node("MatMul", ["x1", "W1"], ["f0"]),
    node("Add", ["f0", "b1"], ["f1"]),
    node("Relu", ["f1"], ["f2"]),
    node("MatMul", ["f2", "W2"], ["f3"]),
    node("Add", ["f3", "b2"], ["f4"]),
    node("Add", ["x1", "f4"], ["r2"]),
    node("LayerNormalization", ["r2", "ln2_g", "ln2_b"], ["last_hidden_state"], [{ name: "axis", i: -1 }, {
      name: "epsilon",
      f: 1e-12,
    }]),
  ];
  const graph = new Pb();
  for (const n of nodes) graph.msg(1, n);
  graph.str(2, "tiny_bert");
  for (const t of inits) graph.msg(5, t);
  for (const name of ["input_ids", "attention_mask", "token_type_ids"]) {
    graph.msg(11, valueInfo(name, INT64, ["batch_size", "sequence_length"]));
  }
  graph.msg(12, valueInfo("last_hidden_state", FLOAT, ["batch_size", "sequence_length", H]));
  const model = new Pb().int(1, 8).str(2, "gaze-insight-tests").msg(7, graph).msg(8, new Pb().str(1, "").int(2, 17));

  await Deno.mkdir(join(dir, "onnx"), { recursive: true });
  await Deno.writeFile(join(dir, "onnx", "model.onnx"), Uint8Array.from(model.bytes));

  const added = (t: string) => ({
    id: vocab[t],
    content: t,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const tok = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specials.map(added),
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, {
        SpecialToken: { id: "[SEP]", type_id: 0 },
      }],
      pair: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "[SEP]", type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } },
        { SpecialToken: { id: "[SEP]", type_id: 1 } },
      ],
      special_tokens: Object.fromEntries(
        ["[CLS]", "[SEP]"].map((t) => [t, { id: t, ids: [vocab[t]], tokens: [t] }]),
      ),
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab,
    },
  };
  await Deno.writeTextFile(join(dir, "tokenizer.json"), JSON.stringify(tok));
  await Deno.writeTextFile(
    join(dir, "tokenizer_config.json"),
    JSON.stringify({
      tokenizer_class: "BertTokenizer",
      do_lower_case: true,
      model_max_length: MAXPOS,
      cls_token: "[CLS]",
      sep_token: "[SEP]",
      pad_token: "[PAD]",
      unk_token: "[UNK]",
      mask_token: "[MASK]",
    }),
  );
  await Deno.writeTextFile(
    join(dir, "config.json"),
    JSON.stringify({
      model_type: "bert",
      architectures: ["BertModel"],
      hidden_size: H,
      num_attention_heads: 1,
      num_hidden_layers: 1,
      intermediate_size: FF,
      vocab_size: V,
      max_position_embeddings: MAXPOS,
      type_vocab_size: 2,
      pad_token_id: 0,
    }),
  );
  return dir;
}
