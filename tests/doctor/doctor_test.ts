/**
 * `deno task doctor`: the host probes read CUDA / cuDNN versions and sonames the way a GPU host
 * lays them out (a fake CUDA_HOME and LD_LIBRARY_PATH here), and the task runs its numerical check
 * and timing on the wasm backend and prints JSON.
 */
import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { cudaInfo, tensorflowPackages } from "../../lib/backend/probe.ts";

Deno.test("cudaInfo: versions from the headers, sonames from LD_LIBRARY_PATH, what tfjs-node-gpu lacks", async () => {
  const home = await Deno.makeTempDir({ prefix: "cuda_home_" });
  const saved = { home: Deno.env.get("CUDA_HOME"), ld: Deno.env.get("LD_LIBRARY_PATH") };
  try {
    await Deno.mkdir(join(home, "include"));
    await Deno.mkdir(join(home, "lib64"));
    await Deno.writeTextFile(join(home, "include", "cuda_runtime_api.h"), "#define CUDART_VERSION  11020\n");
    await Deno.writeTextFile(
      join(home, "include", "cudnn_version.h"),
      "#define CUDNN_MAJOR 8\n#define CUDNN_MINOR 1\n#define CUDNN_PATCHLEVEL 1\n",
    );
    for (const so of ["libcudart.so.11.0", "libcudnn.so.8"]) {
      await Deno.writeFile(join(home, "lib64", so), new Uint8Array());
    }
    Deno.env.set("CUDA_HOME", home);
    Deno.env.set("LD_LIBRARY_PATH", join(home, "lib64"));
    const c = cudaInfo();
    assertEquals(c.cudaHeader, { version: "11.2", file: join(home, "include", "cuda_runtime_api.h") });
    assertEquals(c.cudnnHeader?.version, "8.1.1");
    assertEquals(c.cudart["libcudart.so.11.0"], join(home, "lib64", "libcudart.so.11.0"));
    assertEquals(c.cudnn["libcudnn.so.8"], join(home, "lib64", "libcudnn.so.8"));
    assert(!("libcudart.so.11.0" in c.missingForTfjsNodeGpu) && !("libcudnn.so.8" in c.missingForTfjsNodeGpu));
    // cuBLAS 11 is not in the fake tree (unless the machine has it)
    if (!c.cudart["libcublas.so.11"]) assert("libcublas.so.11" in c.missingForTfjsNodeGpu);
  } finally {
    for (const [k, v] of [["CUDA_HOME", saved.home], ["LD_LIBRARY_PATH", saved.ld]] as const) {
      if (v === undefined) Deno.env.delete(k);
      else Deno.env.set(k, v);
    }
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("tensorflowPackages: both native packages are reported (installed or not)", () => {
  const p = tensorflowPackages();
  assertEquals(p.map((x) => x.pkg), ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]);
  for (const x of p) if (!x.path) assertEquals(x.libtensorflow, null);
});

Deno.test("deno task doctor --backend wasm --json: availability, numerical check vs cpu", async () => {
  const xdg = await Deno.makeTempDir({ prefix: "xdg_" });
  try {
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "tasks/doctor.ts", "--backend", "wasm", "--steps", "0", "--json"],
      cwd: new URL("../..", import.meta.url).pathname,
      env: { XDG_RUNTIME_DIR: xdg },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(r.stderr);
    assert(r.success, err);
    const out = JSON.parse(new TextDecoder().decode(r.stdout));
    assertEquals(out.runtime.deno, Deno.version.deno);
    assertEquals(out.backends.map((b: { name: string }) => b.name), ["tensorflow", "webgpu", "wasm", "cpu"]);
    const wasm = out.backends.find((b: { name: string }) => b.name === "wasm");
    assertEquals(wasm.available, true);
    assertEquals(wasm.numerical.pass, true);
    assert(wasm.numerical.gradMaxRelErr < 1e-4 && wasm.numerical.tensors > 20, JSON.stringify(wasm.numerical));
    assertEquals(wasm.unetStep, { skipped: "--steps 0" }); // the timing itself is the unet-step bench case
    assert(/not a GPU backend/.test(wasm.fgiPaperIteration.skipped), "the FGI iteration is off by default on a CPU");
    assertEquals(out.backends.find((b: { name: string }) => b.name === "cpu").reason, "not requested");
  } finally {
    await Deno.remove(xdg, { recursive: true });
  }
});
