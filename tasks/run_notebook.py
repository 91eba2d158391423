#!/usr/bin/python3
"""Execute a Jupyter notebook on the Deno kernel and keep every output.

Why not `jupyter nbconvert --execute`: nbclient stops collecting a cell's IOPub
messages at `status: idle`, but Deno 2.9's kernel sometimes publishes `stream`,
`display_data` or `execute_result` messages AFTER idle, so nbconvert drops
outputs at random. This runner routes every IOPub message to the cell whose
request it answers (by parent msg_id), and after the execute_reply and the idle
status it keeps draining until the channel has been quiet for --quiet seconds.
Late messages for an earlier cell are still attached to that cell.

usage: /usr/bin/python3 tasks/run_notebook.py IN.ipynb OUT.ipynb
         [--kernel deno] [--timeout 900] [--quiet 0.5] [--env K=V ...] [--allow-errors]
Exit status 1 when a cell fails (the notebook is still written, with the error).
"""
import argparse
import os
import queue
import sys
import time

import nbformat
from jupyter_client.manager import start_new_kernel


def to_output(msg):
    kind, c = msg["msg_type"], msg["content"]
    if kind == "stream":
        return nbformat.v4.new_output("stream", name=c["name"], text=c["text"])
    if kind in ("display_data", "execute_result"):
        kw = dict(data=c.get("data", {}), metadata=c.get("metadata", {}))
        if kind == "execute_result":
            kw["execution_count"] = c.get("execution_count")
        return nbformat.v4.new_output(kind, **kw)
    if kind == "error":
        return nbformat.v4.new_output("error", ename=c["ename"], evalue=c["evalue"], traceback=c["traceback"])
    return None


def append_output(cell, out):
    # Merge consecutive stream chunks of the same name, as Jupyter front ends do.
    if out.output_type == "stream" and cell.outputs and cell.outputs[-1].output_type == "stream" \
            and cell.outputs[-1].name == out.name:
        cell.outputs[-1].text += out.text
    else:
        cell.outputs.append(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--kernel", default=None)
    ap.add_argument("--timeout", type=float, default=900, help="seconds per cell")
    ap.add_argument("--quiet", type=float, default=0.5, help="seconds of IOPub silence that end a cell")
    ap.add_argument("--env", action="append", default=[], help="K=V for the kernel's environment")
    ap.add_argument("--allow-errors", action="store_true")
    a = ap.parse_args()

    nb = nbformat.read(a.inp, as_version=4)
    kname = a.kernel or nb.metadata.get("kernelspec", {}).get("name", "deno")
    env = dict(os.environ)
    for kv in a.env:
        k, _, v = kv.partition("=")
        env[k] = v
    t0 = time.time()
    km, kc = start_new_kernel(kernel_name=kname, cwd=os.path.dirname(os.path.abspath(a.inp)), env=env)
    print(f"kernel {kname} ready in {time.time() - t0:.2f}s", file=sys.stderr)
    by_id = {}
    failed = False
    try:
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            cell.outputs = []
            mid = kc.execute(cell.source, store_history=True)
            by_id[mid] = cell
            started = time.time()
            reply, idle, last = None, False, time.time()
            while True:
                if reply is None:
                    try:
                        r = kc.get_shell_msg(timeout=0.02)
                        if r["parent_header"].get("msg_id") == mid:
                            reply = r
                            cell.execution_count = r["content"].get("execution_count")
                    except queue.Empty:
                        pass
                try:
                    m = kc.get_iopub_msg(timeout=0.05)
                    last = time.time()
                    pid = m["parent_header"].get("msg_id")
                    target = by_id.get(pid)
                    if m["msg_type"] == "status":
                        if pid == mid and m["content"]["execution_state"] == "idle":
                            idle = True
                    elif target is not None and m["msg_type"] == "clear_output":
                        target.outputs = []
                    elif target is not None:
                        o = to_output(m)
                        if o is not None:
                            append_output(target, o)
                except queue.Empty:
                    pass
                if reply is not None and idle and time.time() - last > a.quiet:
                    break
                if time.time() - started > a.timeout:
                    raise TimeoutError(f"cell {cell.execution_count} timed out after {a.timeout}s: {cell.source[:60]!r}")
            status = reply["content"]["status"]
            print(f"cell {cell.execution_count}: {status} {time.time() - started:.2f}s outputs={len(cell.outputs)}",
                  file=sys.stderr)
            if status == "error":
                failed = True
                if not a.allow_errors:
                    break
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    tmp = a.out + ".tmp"
    nbformat.write(nb, tmp)
    os.replace(tmp, a.out)
    print(f"total {time.time() - t0:.2f}s -> {a.out}", file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
