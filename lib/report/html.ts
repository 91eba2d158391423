/**
 * Minimal, dependency-free HTML building blocks for report pages: escaping and a
 * standalone page shell (inline styles, no external resources, so a page opens
 * offline and can be attached to a paper's supplement).
 *
 * @module
 */

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/**
 * Escape text for HTML content and attribute values.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "../../mod.ts";
 * const s = escapeHtml(`<a href="x">`); // "&lt;a href=&quot;x&quot;&gt;"
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/**
 * Serialise a value as JSON that is safe inside an HTML `<script>` element
 * (`<`, `>`, `&`, U+2028 and U+2029 escaped, so no `</script>` can end it early).
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Options of {@link htmlPage}. */
export interface HtmlPageOptions {
  /** Extra elements for `<head>` (already HTML: scripts, styles). */
  head?: string;
  /** A provenance record embedded as `<script type="application/json" id="provenance">`. */
  provenance?: Record<string, unknown>;
}

/**
 * A complete standalone HTML5 document with a readable default style.
 * `title` is text (escaped); `body` is HTML (not escaped).
 *
 * @example
 * ```ts
 * import { escapeHtml, htmlPage } from "../../mod.ts";
 * const page = htmlPage("Results", `<p>${escapeHtml("Dice < 1")}</p>`);
 * ```
 */
export function htmlPage(title: string, body: string, options: HtmlPageOptions = {}): string {
  const prov = options.provenance
    ? `\n<script type="application/json" id="provenance">${jsonForScript(options.provenance)}</script>`
    : "";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
caption { font-weight: bold; text-align: left; padding-bottom: 0.4rem; }
</style>${options.head ? "\n" + options.head : ""}${prov}
</head>
<body>
${body}
</body>
</html>
`;
}
