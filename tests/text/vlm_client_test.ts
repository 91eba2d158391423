/**
 * The VLM client against a real HTTP server started here on 127.0.0.1 that
 * speaks the chat-completions protocol and misbehaves on demand.
 */
import { assert, assertEquals, assertRejects } from "../assert.ts";
import {
  ConcurrencyLimiter,
  type Description,
  parseRetryAfter,
  PROMPT_VERSION,
  VlmClient,
  VlmError,
  type VlmOptions,
} from "../../lib/text/mod.ts";

const KEY = "sk-test-SECRET-0123456789abcdef";

const valid: Description = {
  Location: "center",
  Boundary: "well-defined",
  Characteristics: ["reddish", "smooth surface"],
  "Area Percentage": "5-15%",
  Confidence: "high",
  Remarks: ["none"],
};

/** What the fake server does for one request. */
type Step =
  | { kind: "answer"; content: string; delayMs?: number }
  | { kind: "status"; status: number; body?: string; headers?: Record<string, string> }
  | { kind: "raw"; body: string };

interface Seen {
  authorization: string | null;
  body: {
    model: string;
    messages: { role: string; content: unknown }[];
    response_format: unknown;
  };
  at: number;
}

/** A chat-completions server whose answers are taken from `script` in order (the last step repeats). */
function fakeServer(script: Step[] | ((n: number, seen: Seen) => Step)) {
  const seen: Seen[] = [];
  let inFlight = 0, maxInFlight = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const n = seen.length;
    const s: Seen = { authorization: req.headers.get("authorization"), body: await req.json(), at: performance.now() };
    seen.push(s);
    const step = typeof script === "function" ? script(n, s) : script[Math.min(n, script.length - 1)];
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      if (step.kind === "status") {
        return new Response(step.body ?? "error", { status: step.status, headers: step.headers });
      }
      if (step.kind === "raw") return new Response(step.body, { headers: { "content-type": "application/json" } });
      if (step.delayMs) {
        // Wait, but stop early when the client gives up (its timeout aborts the request).
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, step.delayMs);
          req.signal.addEventListener("abort", () => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return Response.json({
        id: `chatcmpl-${n}`,
        object: "chat.completion",
        model: s.body.model,
        choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: step.content } }],
      });
    } finally {
      inFlight--;
    }
  });
  const addr = server.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${addr.port}/v1`,
    seen,
    maxInFlight: () => maxInFlight,
    close: () => server.shutdown(),
  };
}

const image = (seed: number) => ({
  bytes: Uint8Array.from({ length: 64 }, (_, i) => (i * 31 + seed) & 255),
  mime: "image/png",
});

function client(url: string, logs: string[], extra: VlmOptions = {}) {
  return new VlmClient({
    baseUrl: url,
    model: "test-vlm",
    apiKey: KEY,
    backoffMs: 1,
    maxBackoffMs: 5,
    log: (l) => logs.push(l),
    ...extra,
  });
}

async function allFilesText(dir: string): Promise<string> {
  let text = "";
  for await (const e of Deno.readDir(dir)) if (e.isFile) text += await Deno.readTextFile(`${dir}/${e.name}`);
  return text;
}

Deno.test("vlm: protocol, image data URL, JSON mode, bearer key; then a rerun is served from the cache", async () => {
  const srv = fakeServer([{ kind: "answer", content: JSON.stringify(valid) }]);
  const cacheDir = await Deno.makeTempDir();
  try {
    const logs: string[] = [];
    const img = image(1);
    const a = await client(srv.url, logs, { cacheDir }).describe(img, { kind: "polyp" });
    assertEquals(a.description, valid);
    assertEquals([a.cached, a.repaired, a.requests, a.promptVersion], [false, false, 1, PROMPT_VERSION]);
    assertEquals(srv.seen.length, 1);
    const req = srv.seen[0];
    assertEquals(req.authorization, `Bearer ${KEY}`);
    assertEquals(req.body.model, "test-vlm");
    assertEquals(req.body.response_format, { type: "json_object" });
    assertEquals(req.body.messages.map((m) => m.role), ["system", "user"]);
    const parts = req.body.messages[1].content as { type: string; text?: string; image_url?: { url: string } }[];
    assert(parts[0].text!.includes("Describe the polyp"));
    const url = parts[1].image_url!.url;
    assert(url.startsWith("data:image/png;base64,"), url.slice(0, 40));
    const decoded = Uint8Array.from(atob(url.split(",")[1]), (c) => c.charCodeAt(0));
    assertEquals(decoded, img.bytes);

    // A fresh client (new process, same cache folder): no request.
    const b = await client(srv.url, logs, { cacheDir }).describe(img, { kind: "polyp" });
    assertEquals([b.cached, b.requests, b.cacheKey], [true, 0, a.cacheKey]);
    assertEquals(b.description, valid);
    assertEquals(srv.seen.length, 1);
    // Another model is another cache entry.
    const c = await client(srv.url, logs, { cacheDir, model: "other-vlm" }).describe(img, { kind: "polyp" });
    assert(c.cacheKey !== a.cacheKey && !c.cached);
    assertEquals(srv.seen.length, 2);
    assert(!(await allFilesText(cacheDir)).includes(KEY));
  } finally {
    await srv.close();
  }
});

Deno.test("vlm: 429 with Retry-After is honoured, then the answer is used", async () => {
  const srv = fakeServer([
    { kind: "status", status: 429, body: "slow down", headers: { "retry-after": "1" } },
    { kind: "answer", content: JSON.stringify(valid) },
  ]);
  try {
    const logs: string[] = [];
    const a = await client(srv.url, logs).describe(image(2), { kind: "polyp" });
    assertEquals(a.requests, 2);
    // backoff is 1-5 ms here, so only Retry-After explains a gap of about a second
    const gap = srv.seen[1].at - srv.seen[0].at;
    assert(gap >= 900, `retry came after ${gap} ms`);
    assert(logs.some((l) => l.includes("HTTP 429") && l.includes("retry 1/5 in 1.0 s")), logs.join("\n"));
  } finally {
    await srv.close();
  }
});

Deno.test("vlm: 500s are retried with backoff; persistent 500 fails after maxRetries + 1 attempts", async () => {
  const srv = fakeServer([
    { kind: "status", status: 500 },
    { kind: "status", status: 503 },
    { kind: "answer", content: JSON.stringify(valid) },
  ]);
  try {
    const a = await client(srv.url, []).describe(image(3), { kind: "polyp" });
    assertEquals(a.requests, 3);
  } finally {
    await srv.close();
  }
  const down = fakeServer([{ kind: "status", status: 500, body: "internal error" }]);
  try {
    const err = await assertRejects(
      () => client(down.url, [], { maxRetries: 2 }).describe(image(3), { kind: "polyp" }),
      VlmError,
      "after 3 attempts: HTTP 500",
    );
    assertEquals(down.seen.length, 3);
    assert(err.message.includes("internal error"));
  } finally {
    await down.close();
  }
});

Deno.test("vlm: a slow response times out and is retried", async () => {
  const srv = fakeServer([
    { kind: "answer", content: JSON.stringify(valid), delayMs: 1000 },
    { kind: "answer", content: JSON.stringify(valid) },
  ]);
  try {
    const logs: string[] = [];
    const a = await client(srv.url, logs, { timeoutMs: 200 }).describe(image(4), { kind: "polyp" });
    assertEquals(a.requests, 2);
    assert(logs.some((l) => l.includes("within 200 ms")), logs.join("\n"));
  } finally {
    await srv.close();
  }
  const never = fakeServer([{ kind: "answer", content: "{}", delayMs: 600 }]);
  try {
    await assertRejects(
      () => client(never.url, [], { timeoutMs: 100, maxRetries: 1 }).describe(image(4), { kind: "polyp" }),
      VlmError,
      "no answer from",
    );
    assertEquals(never.seen.length, 2);
  } finally {
    await never.close();
  }
});

Deno.test("vlm: malformed JSON is repaired once with the validator's message", async () => {
  const srv = fakeServer([
    { kind: "answer", content: '{"Location": "center", "Boundary": ' },
    { kind: "answer", content: "```json\n" + JSON.stringify(valid) + "\n```" },
  ]);
  try {
    const a = await client(srv.url, []).describe(image(5), { kind: "polyp" });
    assertEquals([a.repaired, a.requests], [true, 2]);
    assertEquals(a.description, valid);
    const msgs = srv.seen[1].body.messages;
    assertEquals(msgs.map((m) => m.role), ["system", "user", "assistant", "user"]);
    assertEquals(msgs[2].content, '{"Location": "center", "Boundary": ');
    assert(String(msgs[3].content).includes("the answer is not valid JSON"), String(msgs[3].content));
  } finally {
    await srv.close();
  }
});

Deno.test("vlm: an out-of-vocabulary answer triggers one repair; a second bad answer is an error", async () => {
  const oov = JSON.stringify({ ...valid, Boundary: "blurry" });
  const srv = fakeServer([{ kind: "answer", content: oov }, { kind: "answer", content: JSON.stringify(valid) }]);
  try {
    const a = await client(srv.url, []).describe(image(6), { kind: "polyp" });
    assert(a.repaired);
    const repair = String(srv.seen[1].body.messages[3].content);
    assert(repair.includes('Boundary: "blurry" is not allowed; allowed values: "well-defined"'), repair);
  } finally {
    await srv.close();
  }
  const stubborn = fakeServer([{ kind: "answer", content: oov }]);
  const cacheDir = await Deno.makeTempDir();
  try {
    await assertRejects(
      () => client(stubborn.url, [], { cacheDir }).describe(image(6), { kind: "polyp" }),
      VlmError,
      'still invalid after one repair:\n  - Boundary: "blurry" is not allowed',
    );
    assertEquals(stubborn.seen.length, 2); // exactly one repair
    assertEquals([...Deno.readDirSync(cacheDir)].length, 0); // nothing invalid is cached
  } finally {
    await stubborn.close();
  }
});

Deno.test("vlm: a 200 whose body is not a chat completion is retried", async () => {
  const srv = fakeServer([{ kind: "raw", body: "<html>gateway</html>" }, {
    kind: "answer",
    content: JSON.stringify(valid),
  }]);
  try {
    const a = await client(srv.url, []).describe(image(7), { kind: "polyp" });
    assertEquals(a.requests, 2);
  } finally {
    await srv.close();
  }
});

Deno.test("vlm: the API key never appears in errors, logs, caches or the client object", async () => {
  // A hostile server that echoes the Authorization header back in every body.
  const echo = (status: number): Step => ({ kind: "status", status, body: `denied for ${KEY} (Bearer ${KEY})` });
  const logs: string[] = [];
  const srv = fakeServer((n, seen) =>
    n < 2
      ? { ...echo(500), body: `oops ${seen.authorization}` }
      : n === 2
      ? { kind: "answer", content: `not json ${seen.authorization}` }
      : echo(401)
  );
  const cacheDir = await Deno.makeTempDir();
  try {
    const c = client(srv.url, logs, { cacheDir });
    const err = await assertRejects(() => c.describe(image(8), { kind: "polyp" }), VlmError, "HTTP 401");
    assertEquals((err as VlmError).status, 401);
    assert(!err.message.includes(KEY), err.message);
    assert(err.message.includes("[redacted]"), err.message);
    assert(!(err.stack ?? "").includes(KEY));
    assert(logs.length >= 3, logs.join("\n")); // two retries and one repair were logged
    for (const l of logs) assert(!l.includes(KEY), l);
    assert(logs.some((l) => l.includes("[redacted]")));
    assert(!Deno.inspect(c, { depth: 10, showHidden: true }).includes(KEY));
    assert(!JSON.stringify(c).includes(KEY));
    assert(!JSON.stringify(c.config).includes(KEY));
    assert(!(await allFilesText(cacheDir)).includes(KEY));
  } finally {
    await srv.close();
  }
});

Deno.test("vlm: other 4xx fail at once (no retry)", async () => {
  const srv = fakeServer([{ kind: "status", status: 400, body: "bad model" }]);
  try {
    await assertRejects(() => client(srv.url, []).describe(image(9), { kind: "polyp" }), VlmError, "HTTP 400");
    assertEquals(srv.seen.length, 1);
  } finally {
    await srv.close();
  }
});

Deno.test("vlm: concurrency limit caps requests in flight", async () => {
  const srv = fakeServer([{ kind: "answer", content: JSON.stringify(valid), delayMs: 150 }]);
  try {
    const c = client(srv.url, [], { concurrency: 2 });
    const out = await Promise.all([0, 1, 2, 3, 4].map((i) => c.describe(image(20 + i), { kind: "polyp" })));
    assertEquals(out.length, 5);
    assertEquals(srv.seen.length, 5);
    assertEquals(srv.maxInFlight(), 2);
  } finally {
    await srv.close();
  }
});

Deno.test("vlm: configuration from the environment; a missing endpoint or model is a clear error", async () => {
  const srv = fakeServer([{ kind: "answer", content: JSON.stringify(valid) }]);
  const names = ["GAZE_VLM_URL", "GAZE_VLM_MODEL", "GAZE_VLM_API_KEY", "OPENAI_API_KEY"];
  const saved = names.map((n) => Deno.env.get(n));
  try {
    for (const n of names) Deno.env.delete(n);
    Deno.env.set("GAZE_VLM_URL", srv.url);
    Deno.env.set("GAZE_VLM_MODEL", "env-model");
    Deno.env.set("OPENAI_API_KEY", KEY);
    const c = new VlmClient({ log: () => {} });
    assertEquals(c.config, { endpoint: `${srv.url}/chat/completions`, model: "env-model", hasApiKey: true });
    await c.describe(image(10), { kind: "polyp" });
    assertEquals(srv.seen[0].authorization, `Bearer ${KEY}`);
    Deno.env.delete("GAZE_VLM_URL");
    let msg = "";
    try {
      new VlmClient({});
    } catch (err) {
      msg = (err as Error).message;
    }
    assert(msg.includes("--vlm-url"), msg);
    assert(
      new VlmClient({ baseUrl: "http://x/v1/chat/completions", model: "m" }).config.endpoint ===
        "http://x/v1/chat/completions",
    );
  } finally {
    names.forEach((n, i) => (saved[i] === undefined ? Deno.env.delete(n) : Deno.env.set(n, saved[i]!)));
    await srv.close();
  }
});

Deno.test("vlm: Retry-After parsing (seconds and HTTP date)", () => {
  assertEquals(parseRetryAfter("3"), 3000);
  assertEquals(parseRetryAfter(null), undefined);
  assertEquals(parseRetryAfter("soon"), undefined);
  const now = Date.parse("2025-01-01T00:00:00Z");
  assertEquals(parseRetryAfter("Wed, 01 Jan 2025 00:00:05 GMT", now), 5000);
});

Deno.test("limiter: never more than `limit` jobs at once, FIFO, errors propagate", async () => {
  const lim = new ConcurrencyLimiter(2);
  let active = 0, max = 0;
  const order: number[] = [];
  const job = (i: number) =>
    lim.run(async () => {
      active++;
      max = Math.max(max, active);
      await new Promise((r) => setTimeout(r, 5));
      order.push(i);
      active--;
      if (i === 3) throw new Error("job 3");
      return i;
    });
  const results = await Promise.allSettled([0, 1, 2, 3, 4].map(job));
  assertEquals(max, 2);
  assertEquals(results.filter((r) => r.status === "rejected").length, 1);
  assertEquals(lim.active, 0);
  assertEquals(order.length, 5);
});
