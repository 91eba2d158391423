/**
 * What a host offers the toolkit's backends, found without changing the active backend: the
 * runtime, the native TensorFlow packages and the CUDA / cuDNN libraries they need, the NVIDIA
 * driver, and Deno's WebGPU adapter. `deno task doctor` prints these (tasks/doctor.ts).
 *
 * `@tensorflow/tfjs-node-gpu` 4.22 binds libtensorflow 2.9.1, built against CUDA 11.2 and cuDNN 8.1:
 * it dlopens `libcudart.so.11.0` and `libcudnn.so.8`; a CUDA 12 or 13 runtime alone does not satisfy
 * it (the upstream trackers' "libcudart.so.11.0: cannot open shared object file").
 *
 * @module
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The libraries libtensorflow 2.9.1 (tfjs-node-gpu 4.22) loads. */
export const TFJS_NODE_GPU_NEEDS: Readonly<Record<string, string>> = {
  "libcudart.so.11.0": "CUDA 11.x runtime (11.2 is what libtensorflow 2.9.1 was built with)",
  "libcublas.so.11": "cuBLAS from CUDA 11.x",
  "libcudnn.so.8": "cuDNN 8 (8.1 is what libtensorflow 2.9.1 was built with)",
};

/** Versions of the toolkit's pinned native stack (checked against deno.json and containers/ by tests). */
export const GPU_STACK = {
  tfjs: "4.22.0",
  libtensorflow: "2.9.1",
  cuda: "11.2",
  cudnn: "8.1",
} as const;

/** The runtime. */
export interface RuntimeInfo {
  /** Deno version. */
  deno: string;
  /** V8 version. */
  v8: string;
  /** TypeScript version. */
  typescript: string;
  /** `linux x86_64` etc. */
  os: string;
  /** Logical CPUs. */
  cpus: number;
  /** Total memory in GiB (null when unknown). */
  memoryGiB: number | null;
  /** True when running as a `deno compile` executable. */
  compiled: boolean;
  /** The executable. */
  execPath: string;
}

/** The runtime this process runs on. */
export function runtimeInfo(): RuntimeInfo {
  let memoryGiB: number | null = null;
  try {
    memoryGiB = +(Deno.systemMemoryInfo().total / 2 ** 30).toFixed(1);
  } catch { /* not permitted */ }
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    os: `${Deno.build.os} ${Deno.build.arch}`,
    cpus: navigator.hardwareConcurrency,
    memoryGiB,
    compiled: !/\/deno(\.exe)?$/.test(Deno.execPath()) && import.meta.url.includes("/deno-compile-"),
    execPath: Deno.execPath(),
  };
}

function run(cmd: string, args: string[]): string | null {
  try {
    const r = new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).outputSync();
    return r.success ? new TextDecoder().decode(r.stdout) : null;
  } catch {
    return null;
  }
}

/** Shared libraries the dynamic loader knows (`ldconfig -p`), name -> path; plus $LD_LIBRARY_PATH folders. */
export function sharedLibraries(): Map<string, string> {
  const out = new Map<string, string>();
  const text = run("ldconfig", ["-p"]) ?? run("/sbin/ldconfig", ["-p"]) ?? run("/usr/sbin/ldconfig", ["-p"]) ?? "";
  for (const line of text.split("\n")) {
    const m = /^\s*(\S+)\s.*=>\s*(\S+)$/.exec(line);
    if (m && !out.has(m[1])) out.set(m[1], m[2]);
  }
  for (const dir of (Deno.env.get("LD_LIBRARY_PATH") ?? "").split(":").filter(Boolean)) {
    try {
      for (const e of Deno.readDirSync(dir)) {
        if (e.name.includes(".so") && !out.has(e.name)) out.set(e.name, join(dir, e.name));
      }
    } catch { /* missing folder */ }
  }
  return out;
}

/** A version read from a C header's `#define`s, e.g. CUDART_VERSION 11020 -> "11.2". */
function headerVersion(
  paths: string[],
  read: (text: string) => string | null,
): { version: string; file: string } | null {
  for (const file of paths) {
    try {
      const v = read(Deno.readTextFileSync(file));
      if (v) return { version: v, file };
    } catch { /* absent */ }
  }
  return null;
}

/** CUDA / cuDNN / driver as seen from this process. */
export interface CudaInfo {
  /** `nvidia-smi` GPUs (name, driver, memory), or null without nvidia-smi / a driver. */
  gpus: { name: string; driver: string; memory: string; computeCapability: string | null }[] | null;
  /** libcudart sonames the loader knows, e.g. `libcudart.so.11.0`, with paths. */
  cudart: Record<string, string>;
  /** libcudnn sonames the loader knows. */
  cudnn: Record<string, string>;
  /** CUDA runtime version from cuda_runtime_api.h (CUDA_HOME, /usr/local/cuda, /usr/include), if present. */
  cudaHeader: { version: string; file: string } | null;
  /** cuDNN version from cudnn_version.h, if present. */
  cudnnHeader: { version: string; file: string } | null;
  /** What tfjs-node-gpu 4.22 needs and is missing: soname -> what it is. */
  missingForTfjsNodeGpu: Record<string, string>;
}

/** Probe the NVIDIA stack (see {@link CudaInfo}). Nothing is loaded. */
export function cudaInfo(): CudaInfo {
  const libs = sharedLibraries();
  const pick = (re: RegExp) => Object.fromEntries([...libs].filter(([n]) => re.test(n)));
  const smi = run("nvidia-smi", [
    "--query-gpu=name,driver_version,memory.total,compute_cap",
    "--format=csv,noheader",
  ]);
  const gpus = smi
    ? smi.trim().split("\n").filter(Boolean).map((l) => {
      const [name, driver, memory, cc] = l.split(",").map((s) => s.trim());
      return { name, driver, memory, computeCapability: cc && !/not supported|N\/A/i.test(cc) ? cc : null };
    })
    : null;
  const homes = [Deno.env.get("CUDA_HOME"), Deno.env.get("CUDA_PATH"), "/usr/local/cuda", "/usr"].filter(
    (x): x is string => !!x,
  );
  const cudaHeader = headerVersion(homes.map((h) => join(h, "include", "cuda_runtime_api.h")), (t) => {
    const m = /#define\s+CUDART_VERSION\s+(\d+)/.exec(t);
    return m ? `${Math.floor(+m[1] / 1000)}.${Math.floor((+m[1] % 1000) / 10)}` : null;
  });
  const cudnnHeader = headerVersion(
    [...homes.map((h) => join(h, "include", "cudnn_version.h")), "/usr/include/x86_64-linux-gnu/cudnn_version_v8.h"],
    (t) => {
      const g = (k: string) => new RegExp(`#define\\s+CUDNN_${k}\\s+(\\d+)`).exec(t)?.[1];
      return g("MAJOR") ? `${g("MAJOR")}.${g("MINOR")}.${g("PATCHLEVEL")}` : null;
    },
  );
  const missing = Object.fromEntries(Object.entries(TFJS_NODE_GPU_NEEDS).filter(([so]) => !libs.has(so)));
  return {
    gpus,
    cudart: pick(/^libcudart\.so/),
    cudnn: pick(/^libcudnn\.so/),
    cudaHeader,
    cudnnHeader,
    missingForTfjsNodeGpu: missing,
  };
}

/** A native TensorFlow package as found on disk (not loaded). */
export interface TensorflowPackageInfo {
  /** Package name. */
  pkg: string;
  /** Resolved entry point, or null when not installed. */
  path: string | null;
  /** libtensorflow shared object in the package's deps/lib, or null (the install script did not run). */
  libtensorflow: string | null;
}

/** Where `@tensorflow/tfjs-node-gpu` and `@tensorflow/tfjs-node` are, and whether their libtensorflow was downloaded. */
export function tensorflowPackages(): TensorflowPackageInfo[] {
  const require = createRequire(import.meta.url);
  return ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"].map((pkg) => {
    let path: string | null = null;
    try {
      path = require.resolve(pkg);
    } catch { /* not installed */ }
    let lib: string | null = null;
    if (path) {
      const deps = join(dirname(dirname(path)), "deps", "lib");
      try {
        for (const e of Deno.readDirSync(deps)) if (/^libtensorflow\.so/.test(e.name)) lib = join(deps, e.name);
      } catch { /* no deps folder */ }
    }
    return { pkg, path, libtensorflow: lib };
  });
}

/** Deno's WebGPU adapter, if any. */
export interface WebgpuAdapterInfo {
  /** vendor / architecture / device / description joined. */
  description: string;
  /** False for software rasterisers (llvmpipe, lavapipe, SwiftShader) and fallback adapters. */
  hardware: boolean;
}

/** Ask Deno for a WebGPU adapter (sets XDG_RUNTIME_DIR to a temp folder when unset, as selectBackend does). */
export async function probeWebgpu(): Promise<{ adapter: WebgpuAdapterInfo | null; why: string }> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return { adapter: null, why: "this Deno exposes no navigator.gpu" };
  if (!Deno.env.get("XDG_RUNTIME_DIR")) Deno.env.set("XDG_RUNTIME_DIR", Deno.makeTempDirSync({ prefix: "gaze-xdg-" }));
  try {
    const adapter = await gpu.requestAdapter() as { info?: Record<string, string>; isFallbackAdapter?: boolean } | null;
    if (!adapter) {
      return {
        adapter: null,
        why: "no WebGPU adapter (no Vulkan driver: install mesa-vulkan-drivers or the GPU's ICD)",
      };
    }
    const info = adapter.info ?? {};
    const description = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(" ") ||
      "unknown adapter";
    const software = adapter.isFallbackAdapter === true ||
      /llvmpipe|lavapipe|swiftshader|software|cpu/i.test(description);
    return {
      adapter: { description, hardware: !software },
      why: software ? "software rasteriser (runs on the CPU)" : "hardware adapter",
    };
  } catch (err) {
    return { adapter: null, why: `requestAdapter failed: ${(err as Error).message}` };
  }
}
