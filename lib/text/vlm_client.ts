/**
 * A client for OpenAI-compatible chat-completions endpoints with image input
 * (GPT-4o, Doubao, and local servers such as vLLM or Ollama speak this
 * protocol). It asks for the six-field JSON of schema.ts and guarantees that
 * what it returns passes the validator.
 *
 * - Configuration: `baseUrl`, `model`, `apiKey` from options, else the
 *   environment: `GAZE_VLM_URL`, `GAZE_VLM_MODEL`, `GAZE_VLM_API_KEY` (then
 *   `OPENAI_API_KEY`). `baseUrl` is the API root (e.g. `http://localhost:8000/v1`);
 *   `/chat/completions` is appended unless already there.
 * - Request: system + user messages, the image as a base64 `data:` URL,
 *   `response_format: {type: "json_object"}`, temperature 0.
 * - Validation with ONE repair retry: an answer that is not JSON or fails the
 *   validator is sent back with the validator's messages; a second failure is
 *   an error.
 * - HTTP 429 and 5xx, network errors and timeouts are retried with exponential
 *   backoff (with jitter), honouring `Retry-After` (seconds or HTTP date);
 *   other 4xx fail at once. Each request has its own timeout
 *   (`AbortSignal.timeout`). At most `concurrency` requests are in flight.
 * - The API key is sent only in the `Authorization` header. It is never
 *   written to logs, caches, errors or outputs: every message that leaves the
 *   client passes through a redactor, and the key is not a property of the
 *   client object.
 * - Answers are cached per image under `cacheDir` as
 *   `<sha256(image bytes, PROMPT_VERSION, model, kind)>.json`, so a rerun costs
 *   nothing.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { atomicWrite } from "../core/atomic_write.ts";
import { ConcurrencyLimiter } from "./limiter.ts";
import { buildPrompt, PROMPT_VERSION, repairMessage } from "./prompt.ts";
import { type Description, descriptionIssues, type TargetKind, validateDescription } from "./schema.ts";

/** Options of {@link VlmClient}; unset fields come from the environment or defaults. */
export interface VlmOptions {
  /** API root, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8000/v1` (env GAZE_VLM_URL). */
  baseUrl?: string;
  /** Model name sent in the request (env GAZE_VLM_MODEL). */
  model?: string;
  /** Bearer token (env GAZE_VLM_API_KEY, then OPENAI_API_KEY); optional for local servers. */
  apiKey?: string;
  /** Per-request timeout in ms (default 120000). */
  timeoutMs?: number;
  /** Retries after a 429/5xx/network error/timeout, per request (default 5). */
  maxRetries?: number;
  /** First backoff delay in ms; doubles each retry (default 1000). */
  backoffMs?: number;
  /** Cap of one backoff delay in ms (default 30000). */
  maxBackoffMs?: number;
  /** Cap of an honoured `Retry-After` in ms (default 120000). */
  maxRetryAfterMs?: number;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Folder of the per-image answer cache; no caching when unset. */
  cacheDir?: string;
  /** `max_tokens` of the request (default 400). */
  maxTokens?: number;
  /** Where progress notes (retries, repairs) go; default stderr. Lines are redacted. */
  log?: (line: string) => void;
}

/** An image to describe: its encoded bytes (JPEG/PNG) and MIME type. */
export interface VlmImage {
  /** Encoded image file bytes; their sha256 is the cache key's first part. */
  bytes: Uint8Array;
  /** MIME type for the data URL, e.g. `image/jpeg`, `image/png`. */
  mime: string;
}

/** A validated VLM answer. */
export interface VlmAnswer {
  /** The validated description. */
  description: Description;
  /** Model that produced it. */
  model: string;
  /** Prompt version it was asked with. */
  promptVersion: string;
  /** sha256 hex of image bytes + prompt version + model + kind. */
  cacheKey: string;
  /** True when served from the cache (no request made). */
  cached: boolean;
  /** True when the first answer failed validation and the repair answer was used. */
  repaired: boolean;
  /** HTTP requests made for this answer (0 when cached). */
  requests: number;
}

/** A failure of the VLM client. Its message never contains the API key. */
export class VlmError extends Error {
  /** HTTP status when the failure was an HTTP error, else undefined. */
  readonly status?: number;
  /**
   * Build the error.
   *
   * @param message an already redacted message
   * @param status the HTTP status, if any
   */
  constructor(message: string, status?: number) {
    super(message);
    this.name = "VlmError";
    this.status = status;
  }
}

/** The resolved, key-free configuration of a client (safe to print or store). */
export interface VlmConfig {
  /** Full chat-completions URL. */
  endpoint: string;
  /** Model name. */
  model: string;
  /** Whether an API key is configured (the key itself is never exposed). */
  hasApiKey: boolean;
}

type Message = { role: "system" | "user" | "assistant"; content: unknown };

const env = (name: string): string | undefined => {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // no --allow-env: behave as unset
  }
};

/** True when a VLM endpoint is configured by `options.baseUrl` or `$GAZE_VLM_URL`. */
export function vlmConfigured(options: Pick<VlmOptions, "baseUrl"> = {}): boolean {
  return Boolean(options.baseUrl ?? env("GAZE_VLM_URL"));
}

/** Parse a `Retry-After` header (delta seconds or HTTP date) to ms from `now`; undefined when absent/invalid. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const s = Number(value.trim());
  if (Number.isFinite(s)) return s >= 0 ? s * 1000 : undefined;
  const t = Date.parse(value);
  return Number.isFinite(t) ? Math.max(0, t - now) : undefined;
}

async function sha256Hex(parts: (Uint8Array | string)[]): Promise<string> {
  const enc = new TextEncoder();
  const chunks = parts.map((p) => (typeof p === "string" ? enc.encode(p) : p));
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length + 1, 0));
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length + 1; // a 0 separator between parts
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Parse a model answer as JSON, tolerating a markdown code fence around it. */
function parseAnswer(content: string): { ok: true; value: unknown } | { ok: false; issue: string } {
  let text = content.trim();
  const fence = text.match(/^```(?:json)?\s*([\s\S]*?)\s*```$/i);
  if (fence) text = fence[1];
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const shown = text.length > 120 ? text.slice(0, 120) + "..." : text;
    return {
      ok: false,
      issue: `the answer is not valid JSON (${(err as Error).message}); it began: ${JSON.stringify(shown)}`,
    };
  }
}

/**
 * The VLM client. Create one per run; it is safe to call {@link VlmClient.describe}
 * concurrently (the limiter caps requests in flight).
 *
 * @example
 * ```ts ignore
 * import { VlmClient } from "../../mod.ts";
 * const vlm = new VlmClient({ baseUrl: "http://127.0.0.1:8000/v1", model: "qwen2-vl", cacheDir: "/tmp/vlm" });
 * const bytes = await Deno.readFile("image.jpg");
 * const answer = await vlm.describe({ bytes, mime: "image/jpeg" }, { kind: "polyp" });
 * console.log(answer.description);
 * ```
 */
export class VlmClient {
  /** Key-free configuration (safe to print and to store in provenance). */
  readonly config: VlmConfig;
  readonly #endpoint: string;
  readonly #limiter: ConcurrencyLimiter;
  readonly #opts: Required<Omit<VlmOptions, "baseUrl" | "model" | "apiKey" | "cacheDir" | "log">>;
  readonly #cacheDir?: string;
  readonly #log: (line: string) => void;
  readonly #authorization: () => Record<string, string>;
  readonly #redact: (text: string) => string;

  /** Resolve the configuration; throws when no base URL or model is given (flags or env). */
  constructor(options: VlmOptions = {}) {
    const baseUrl = options.baseUrl ?? env("GAZE_VLM_URL");
    const model = options.model ?? env("GAZE_VLM_MODEL");
    const key = options.apiKey ?? env("GAZE_VLM_API_KEY") ?? env("OPENAI_API_KEY");
    if (!baseUrl) throw new VlmError("VLM client: no endpoint; pass --vlm-url URL or set GAZE_VLM_URL");
    if (!model) throw new VlmError("VLM client: no model; pass --vlm-model NAME or set GAZE_VLM_MODEL");
    // The key lives only in these closures: it is not a property, so printing or
    // serialising the client cannot reveal it.
    const secrets = key ? [key, encodeURIComponent(key), Buffer.from(key).toString("base64")] : [];
    this.#redact = (text: string) =>
      secrets.reduce((t, s) => (s.length >= 4 ? t.split(s).join("[redacted]") : t), text);
    this.#authorization = (): Record<string, string> => (key ? { authorization: `Bearer ${key}` } : {});
    const trimmed = baseUrl.replace(/\/+$/, "");
    const endpoint = /\/chat\/completions$/.test(trimmed) ? trimmed : `${trimmed}/chat/completions`;
    this.config = { endpoint: this.#redact(endpoint), model, hasApiKey: Boolean(key) };
    this.#opts = {
      timeoutMs: options.timeoutMs ?? 120_000,
      maxRetries: options.maxRetries ?? 5,
      backoffMs: options.backoffMs ?? 1000,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 120_000,
      concurrency: options.concurrency ?? 4,
      maxTokens: options.maxTokens ?? 400,
    };
    this.#endpoint = endpoint;
    this.#limiter = new ConcurrencyLimiter(this.#opts.concurrency);
    this.#cacheDir = options.cacheDir;
    const log = options.log ?? ((line: string) => console.error(`[vlm] ${line}`));
    this.#log = (line) => log(this.#redact(line));
  }

  /** The cache key of an image for this client's model and the current prompt version. */
  cacheKey(image: VlmImage, kind: TargetKind): Promise<string> {
    return sha256Hex([image.bytes, PROMPT_VERSION, this.config.model, kind]);
  }

  /**
   * Describe one image: from the cache when present, else by asking the model
   * (with retries and one repair). Throws {@link VlmError} (key-free message)
   * when the endpoint keeps failing or the repaired answer is still invalid.
   */
  async describe(image: VlmImage, options: { kind: TargetKind }): Promise<VlmAnswer> {
    const { kind } = options;
    const key = await this.cacheKey(image, kind);
    const cached = await this.#readCache(key, kind);
    if (cached) return { ...cached, cacheKey: key, cached: true, repaired: false, requests: 0 };
    const answer = await this.#limiter.run(() => this.#ask(image, kind, key));
    if (this.#cacheDir) {
      const record = {
        cacheKey: key,
        model: answer.model,
        promptVersion: PROMPT_VERSION,
        kind,
        repaired: answer.repaired,
        description: answer.description,
        created: new Date().toISOString(),
      };
      await atomicWrite(join(this.#cacheDir, `${key}.json`), this.#redact(JSON.stringify(record, null, 2)) + "\n");
    }
    return answer;
  }

  async #readCache(
    key: string,
    kind: TargetKind,
  ): Promise<Pick<VlmAnswer, "description" | "model" | "promptVersion"> | undefined> {
    if (!this.#cacheDir) return undefined;
    const path = join(this.#cacheDir, `${key}.json`);
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw err;
    }
    try {
      const rec = JSON.parse(text);
      if (rec.promptVersion !== PROMPT_VERSION || rec.model !== this.config.model) return undefined;
      return {
        description: validateDescription(rec.description, kind, path),
        model: rec.model,
        promptVersion: PROMPT_VERSION,
      };
    } catch (err) {
      this.#log(`ignoring unreadable cache entry ${path}: ${(err as Error).message.split("\n")[0]}`);
      return undefined;
    }
  }

  async #ask(image: VlmImage, kind: TargetKind, key: string): Promise<VlmAnswer> {
    const prompt = buildPrompt(kind);
    const dataUrl = `data:${image.mime};base64,${Buffer.from(image.bytes).toString("base64")}`;
    const messages: Message[] = [
      { role: "system", content: prompt.system },
      {
        role: "user",
        content: [{ type: "text", text: prompt.user }, { type: "image_url", image_url: { url: dataUrl } }],
      },
    ];
    let requests = 0;
    let content = await this.#chat(messages, () => requests++);
    let issues = this.#check(content, kind);
    let repaired = false;
    if (issues.length) {
      this.#log(`image ${key.slice(0, 12)}: answer rejected (${issues[0]}); asking once for a repair`);
      messages.push({ role: "assistant", content }, { role: "user", content: repairMessage(issues) });
      content = await this.#chat(messages, () => requests++);
      issues = this.#check(content, kind);
      repaired = true;
      if (issues.length) {
        throw new VlmError(
          this.#redact(
            `VLM answer for image ${key.slice(0, 12)} is still invalid after one repair:\n  - ${issues.join("\n  - ")}`,
          ),
        );
      }
    }
    const parsed = parseAnswer(content) as { ok: true; value: unknown };
    return {
      description: validateDescription(parsed.value, kind),
      model: this.config.model,
      promptVersion: PROMPT_VERSION,
      cacheKey: key,
      cached: false,
      repaired,
      requests,
    };
  }

  #check(content: string, kind: TargetKind): string[] {
    const parsed = parseAnswer(content);
    if (!parsed.ok) return [parsed.issue];
    return descriptionIssues(parsed.value, kind);
  }

  /** One chat completion with retries; returns the assistant message text. */
  async #chat(messages: Message[], onRequest: () => void): Promise<string> {
    const body = JSON.stringify({
      model: this.config.model,
      messages,
      response_format: { type: "json_object" },
      temperature: 0,
      max_tokens: this.#opts.maxTokens,
    });
    const { maxRetries } = this.#opts;
    let lastProblem = "";
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      let retryAfterMs: number | undefined;
      onRequest();
      try {
        const res = await fetch(this.#endpoint, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json", ...this.#authorization() },
          body,
          signal: AbortSignal.timeout(this.#opts.timeoutMs),
        });
        if (res.ok) {
          const text = await res.text();
          let content: unknown;
          try {
            content = JSON.parse(text)?.choices?.[0]?.message?.content;
          } catch {
            content = undefined;
          }
          if (typeof content === "string") return content;
          lastProblem = `HTTP ${res.status} but the body is not a chat completion with a message content (${
            JSON.stringify(text.slice(0, 120))
          })`;
        } else {
          const text = await res.text().catch(() => "");
          const snippet = text.length > 300 ? text.slice(0, 300) + "..." : text;
          lastProblem = `HTTP ${res.status} ${res.statusText} from ${this.config.endpoint}: ${snippet}`;
          if (res.status !== 429 && res.status < 500) throw new VlmError(this.#redact(lastProblem), res.status);
          retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
        }
      } catch (err) {
        if (err instanceof VlmError) throw err;
        const e = err as Error;
        lastProblem = e.name === "TimeoutError"
          ? `no answer from ${this.config.endpoint} within ${this.#opts.timeoutMs} ms`
          : `request to ${this.config.endpoint} failed: ${e.message}`;
      }
      if (attempt === maxRetries) break;
      const exp = Math.min(this.#opts.maxBackoffMs, this.#opts.backoffMs * 2 ** attempt);
      const delay = retryAfterMs !== undefined
        ? Math.min(retryAfterMs, this.#opts.maxRetryAfterMs)
        : exp / 2 + Math.random() * exp / 2;
      this.#log(`${lastProblem.split("\n")[0]}; retry ${attempt + 1}/${maxRetries} in ${(delay / 1000).toFixed(1)} s`);
      await new Promise((r) => setTimeout(r, delay));
    }
    throw new VlmError(this.#redact(`VLM request failed after ${maxRetries + 1} attempts: ${lastProblem}`));
  }
}
