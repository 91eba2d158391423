/**
 * Choose and initialise the tensor backend.
 *
 * | name         | what it is                                                                 |
 * |--------------|----------------------------------------------------------------------------|
 * | `tensorflow` | `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node` (native TensorFlow; GPU hosts) |
 * | `webgpu`     | `@tensorflow/tfjs-backend-webgpu` on Deno's WebGPU                          |
 * | `wasm`       | `@tensorflow/tfjs-backend-wasm`, SIMD, wasm binaries from local node_modules |
 * | `cpu`        | pure JavaScript; slow, for tiny unit tests and as a numerical reference    |
 * | `auto`       | tensorflow if loadable, else webgpu on a hardware adapter, else wasm        |
 *
 * The choice comes from the `backend` argument, else `$GAZE_BACKEND`, else `auto`.
 * The chosen backend and the reason are printed once on stderr.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { registerWasmConv2DBackpropFilter } from "./wasm_conv2d_backprop_filter.ts";
import { registerGazeWasmKernels } from "./wasm_kernels.ts";
import { withSharedEmscriptenHeap } from "./wasm_binary.ts";

/** Backend names accepted by {@link selectBackend}. */
export type BackendName = "auto" | "tensorflow" | "webgpu" | "wasm" | "cpu";

/** The list of valid backend names, for CLI validation. */
export const BACKEND_NAMES: readonly BackendName[] = ["auto", "tensorflow", "webgpu", "wasm", "cpu"];

/** What {@link selectBackend} decided. */
export interface BackendChoice {
  /** The backend now active in tfjs. */
  name: Exclude<BackendName, "auto">;
  /** Why it was chosen (printed once on stderr). */
  reason: string;
}

/** Options for {@link selectBackend}. */
export interface SelectBackendOptions {
  /** Do not print the choice on stderr. */
  quiet?: boolean;
}

/** How to install the native TensorFlow backend, shown when it cannot be loaded. */
export const TENSORFLOW_INSTALL_HELP: string = [
  "The 'tensorflow' backend needs @tensorflow/tfjs-node-gpu (CUDA hosts) or @tensorflow/tfjs-node (CPU),",
  "whose install step downloads libtensorflow from storage.googleapis.com. On a machine that can reach it:",
  "  deno add npm:@tensorflow/tfjs-node-gpu@4.22.0   # or npm:@tensorflow/tfjs-node@4.22.0",
  "  deno install --allow-scripts=npm:@tensorflow/tfjs-node-gpu@4.22.0",
  "(tfjs-node-gpu needs CUDA 11.2 + cuDNN 8.1 on the host). Then pass --backend tensorflow or auto.",
  "Other backends work without it: --backend wasm (CPU, default here) or --backend webgpu.",
].join("\n");

let announced = false;
let current: BackendChoice | undefined;
const require = createRequire(import.meta.url);

function wasmDistDir(): string {
  return join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm")), "/");
}

let wasmKernelNote = "";

async function initWasm(): Promise<void> {
  const dir = wasmDistDir();
  // setWasmPaths takes a prefix; with a trailing slash the file names are appended.
  setWasmPaths(dir.endsWith("/") ? dir : dir + "/");
  tf.env().set("WASM_HAS_SIMD_SUPPORT", true);
  registerWasmConv2DBackpropFilter("wasm"); // used where the toolkit's kernels are not registered
  const k = registerGazeWasmKernels("wasm");
  if (k.skipped) wasmKernelNote = `; stock wasm kernels (${k.skipped})`;
  // the heap shared, so that the thread pool's workers compute on tensors in place (wasm_threads.ts)
  if (!(await withSharedEmscriptenHeap(() => tf.setBackend("wasm")))) {
    throw new Error(`could not initialise the wasm backend from ${dir}`);
  }
  await tf.ready();
}

/** Names of the native TensorFlow packages, in the order tried. */
const TF_NODE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"];

async function tryTensorflow(): Promise<{ ok: true; pkg: string } | { ok: false; why: string }> {
  const whys: string[] = [];
  for (const pkg of TF_NODE_PACKAGES) {
    let resolved: string;
    try {
      resolved = require.resolve(pkg);
    } catch {
      whys.push(`${pkg}: not installed`);
      continue;
    }
    try {
      // A variable specifier keeps `deno check` and the npm resolver from fetching it.
      await import(resolved);
      if (await tf.setBackend("tensorflow")) {
        await tf.ready();
        return { ok: true, pkg };
      }
      whys.push(`${pkg}: loaded but the backend did not initialise`);
    } catch (err) {
      whys.push(`${pkg}: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  return { ok: false, why: whys.join("; ") };
}

async function webgpuAdapter(): Promise<{ hardware: boolean; description: string } | undefined> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return undefined;
  try {
    const adapter = await gpu.requestAdapter() as
      | { info?: Record<string, string>; isFallbackAdapter?: boolean }
      | null;
    if (!adapter) return undefined;
    const info = adapter.info ?? {};
    const description = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(" ");
    const software = adapter.isFallbackAdapter === true ||
      /llvmpipe|lavapipe|swiftshader|software|cpu/i.test(description);
    return { hardware: !software, description: description || "unknown adapter" };
  } catch {
    return undefined;
  }
}

async function initWebgpu(): Promise<void> {
  if (!Deno.env.get("XDG_RUNTIME_DIR")) {
    // Deno's WebGPU warns "XDG_RUNTIME_DIR is invalid" without a writable folder.
    Deno.env.set("XDG_RUNTIME_DIR", Deno.makeTempDirSync({ prefix: "gaze-xdg-" }));
  }
  await import("@tensorflow/tfjs-backend-webgpu");
  if (!(await tf.setBackend("webgpu"))) throw new Error("the webgpu backend did not initialise");
  await tf.ready();
}

/**
 * Select the tensor backend, initialise it and say why, once, on stderr.
 *
 * @param name `auto | tensorflow | webgpu | wasm | cpu`; default `$GAZE_BACKEND` or `auto`.
 * @example
 * ```ts
 * import { selectBackend } from "../../mod.ts";
 * const choice = await selectBackend("cpu", { quiet: true });
 * console.log(choice.name); // "cpu"
 * ```
 */
export async function selectBackend(
  name?: BackendName | string,
  options: SelectBackendOptions = {},
): Promise<BackendChoice> {
  const requested = (name ?? Deno.env.get("GAZE_BACKEND") ?? "auto") as BackendName;
  if (!BACKEND_NAMES.includes(requested)) {
    throw new Error(`unknown backend '${requested}': expected one of ${BACKEND_NAMES.join(", ")}`);
  }
  let choice: BackendChoice;
  switch (requested) {
    case "cpu":
      await tf.setBackend("cpu");
      await tf.ready();
      choice = { name: "cpu", reason: "requested" };
      break;
    case "wasm":
      await initWasm();
      choice = { name: "wasm", reason: `requested${wasmKernelNote}` };
      break;
    case "webgpu": {
      const adapter = await webgpuAdapter();
      if (!adapter) {
        throw new Error(
          "backend 'webgpu': Deno exposes no WebGPU adapter here (install a Vulkan driver, e.g. Debian mesa-vulkan-drivers, or use --backend wasm)",
        );
      }
      await initWebgpu();
      choice = { name: "webgpu", reason: `requested (adapter: ${adapter.description})` };
      break;
    }
    case "tensorflow": {
      const r = await tryTensorflow();
      if (!r.ok) throw new Error(`backend 'tensorflow' cannot be loaded (${r.why}).\n${TENSORFLOW_INSTALL_HELP}`);
      choice = { name: "tensorflow", reason: `requested (${r.pkg})` };
      break;
    }
    default: {
      const r = await tryTensorflow();
      if (r.ok) {
        choice = { name: "tensorflow", reason: `auto: ${r.pkg} is installed` };
        break;
      }
      const adapter = await webgpuAdapter();
      if (adapter?.hardware) {
        await initWebgpu();
        choice = {
          name: "webgpu",
          reason: `auto: no native TensorFlow (${r.why}); hardware WebGPU adapter ${adapter.description}`,
        };
        break;
      }
      await initWasm();
      choice = {
        name: "wasm",
        reason: `auto: no native TensorFlow (${r.why}); ${
          adapter ? `only a software WebGPU adapter (${adapter.description})` : "no WebGPU adapter"
        }${wasmKernelNote}`,
      };
    }
  }
  current = choice;
  if (!options.quiet && !announced) {
    announced = true;
    console.error(`[gaze-insight] backend: ${choice.name} (${choice.reason})`);
  }
  return choice;
}

/** The backend chosen by the last {@link selectBackend} call, if any. */
export function currentBackend(): BackendChoice | undefined {
  return current;
}
