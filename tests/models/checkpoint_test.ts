// safetensors encoding and checkpoint round trips (bit-identical outputs after loading).
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertRejects, assertThrows } from "../assert.ts";
import { selectBackend } from "../../lib/backend/mod.ts";
import { Rng } from "../../lib/core/mod.ts";
import {
  decodeSafetensors,
  disposeModel,
  encodeSafetensors,
  initModel,
  loadCheckpoint,
  type Model,
  modelConfigFor,
  saveCheckpoint,
  type TeacherConfig,
  teacherForward,
} from "../../lib/models/mod.ts";
import { noLeak, randomTensor } from "./grad_check.ts";

await selectBackend("cpu", { quiet: true });

Deno.test("safetensors bytes follow the format: u64 LE header length, JSON header, LE data", () => {
  const bytes = encodeSafetensors(
    new Map([
      ["a", { dtype: "F32" as const, shape: [2], data: new Float32Array([1.5, -2]) }],
      ["b", { dtype: "I32" as const, shape: [], data: new Int32Array([7]) }],
    ]),
    { metadata: { note: "x" } },
  );
  const view = new DataView(bytes.buffer);
  const n = Number(view.getBigUint64(0, true));
  assertEquals(n % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  assertEquals(header.__metadata__, { note: "x" });
  assertEquals(header.a, { dtype: "F32", shape: [2], data_offsets: [0, 8] });
  assertEquals(header.b, { dtype: "I32", shape: [], data_offsets: [8, 12] });
  assertEquals(view.getFloat32(8 + n, true), 1.5);
  assertEquals(view.getFloat32(8 + n + 4, true), -2);
  assertEquals(view.getInt32(8 + n + 8, true), 7);
  const back = decodeSafetensors(bytes);
  assertEquals(Array.from(back.tensors.get("a")!.data), [1.5, -2]);
  assertEquals(back.metadata.note, "x");
  // A truncated file names the problem.
  assertThrows(
    () => decodeSafetensors(bytes.subarray(0, bytes.length - 4), { source: "f.safetensors" }),
    Error,
    "f.safetensors",
  );
});

Deno.test("checkpoint round trip: PyTorch layouts in the file, bit-identical teacher outputs after loading", async () => {
  const dir = await Deno.makeTempDir();
  await noLeak("checkpoint", async () => {
    const config = modelConfigFor("teacher", "smoke", { overrides: { fusion: "learnable" } });
    const model = initModel(config, { seed: 7 });
    const rng = new Rng(1);
    const image = randomTensor([2, 32, 32, 3], rng) as tf.Tensor4D;
    const text = randomTensor([2, 6, 512], rng) as tf.Tensor3D;
    // Move the BatchNorm running statistics away from their initial values.
    tf.dispose(teacherForward(model, { image, text }, { training: true }));
    const before = tf.tidy(() => teacherForward(model, { image, text }).logits.dataSync());
    const paths = await saveCheckpoint(`${dir}/teacher.safetensors`, model, { step: 42, metrics: { dice: 0.5 } });
    assertEquals(paths.weights, `${dir}/teacher.safetensors`);
    const { tensors, metadata } = decodeSafetensors(await Deno.readFile(paths.weights));
    assertEquals(metadata.kind, "teacher");
    // nn.Conv2d weight [out, in, kh, kw]; ConvTranspose2d [in, out, kh, kw]; Linear [out, in]; MHA in_proj [3E, E].
    assertEquals(tensors.get("encoder.conv_0.conv_0.conv.weight")!.shape, [8, 3, 3, 3]);
    assertEquals(tensors.get("encoder.upcat_4.upsample.deconv.weight")!.shape, [32, 16, 2, 2]);
    assertEquals(tensors.get("fusion.0.text_proj.weight")!.shape, [8, 512]);
    assertEquals(tensors.get("fusion.0.attn.in_proj_weight")!.shape, [24, 8]);
    assertEquals(tensors.get("fusion.0.pos_embed")!.shape, [1, 256, 8]);
    assert(tensors.has("distill.3.4.running_var"));
    const { model: loaded, sidecar } = await loadCheckpoint(`${dir}/teacher`);
    assertEquals(sidecar.step, 42);
    assertEquals(sidecar.metrics, { dice: 0.5 });
    assertEquals(sidecar.config, config);
    const after = tf.tidy(() => teacherForward(loaded as Model<TeacherConfig>, { image, text }).logits.dataSync());
    assertEquals(Array.from(after), Array.from(before));
    for (const [name, v] of model.params.state) {
      assertEquals(Array.from(loaded.params.state.get(name)!.dataSync()), Array.from(v.dataSync()), name);
    }
    disposeModel(loaded);
    // A checkpoint of another architecture is refused with the tensor's name.
    const other = initModel(modelConfigFor("student", "smoke"), { seed: 0 });
    await saveCheckpoint(`${dir}/student`, other, {});
    const sidecarText = await Deno.readTextFile(`${dir}/student.json`);
    await Deno.writeTextFile(`${dir}/student.json`, sidecarText.replace('"kind": "student"', '"kind": "unet"'));
    await assertRejects(() => loadCheckpoint(`${dir}/student`), Error, "student.safetensors");
    disposeModel(other);
    tf.dispose([image, text]);
    disposeModel(model);
  });
  await Deno.remove(dir, { recursive: true });
});
