/**
 * Running a Python peer script of a bench case (tasks/bench/peer_*.py) and reading its JSON.
 *
 * @module
 */

/** Options of {@link runPythonPeer}. */
export interface RunPythonPeerOptions {
  /** Interpreter; default `$GAZE_PYTHON`, else the first of `python3` and `/usr/bin/python3` (Debian's, where python3-torch installs) that imports torch. */
  python?: string;
}

/**
 * Run `script` (a file next to this module, e.g. `peer_torch.py`) with `args` and parse the JSON it
 * prints. Returns `{ skipped: why }` when no interpreter with torch can run it, or `{ error }` with
 * the script's last stderr line when it fails for another reason.
 */
export async function runPythonPeer(
  script: string,
  args: string[],
  options: RunPythonPeerOptions = {},
): Promise<Record<string, unknown>> {
  const env = Deno.env.get("GAZE_PYTHON");
  const candidates = options.python ? [options.python] : env ? [env] : ["python3", "/usr/bin/python3"];
  let last: Record<string, unknown> = { skipped: "no python" };
  for (const python of candidates) {
    last = await runWith(python, new URL(`./${script}`, import.meta.url).pathname, args);
    if (!("skipped" in last)) return last;
  }
  return last;
}

async function runWith(python: string, script: string, args: string[]): Promise<Record<string, unknown>> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(python, { args: [script, ...args], stdout: "piped", stderr: "piped" }).output();
  } catch (err) {
    return { skipped: `cannot run ${python}: ${(err as Error).message}` };
  }
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) {
    if (/No module named '(torch|numpy)'/.test(stderr)) {
      return { skipped: `${python} has no torch/numpy (Debian: apt-get install python3-torch)` };
    }
    const name = script.split("/").pop();
    return { error: `${python} ${name} failed: ${stderr.trim().split("\n").slice(-1)[0]}` };
  }
  return JSON.parse(new TextDecoder().decode(out.stdout));
}
