import { assertEquals, assertThrows } from "../assert.ts";
import { assertPlainId, derivedDir, resolveDataRoot } from "../../lib/data/data_root.ts";

Deno.test("resolveDataRoot: flag, then env, then ./data/cache", () => {
  const saved = Deno.env.get("GAZE_DATA_DIR");
  try {
    Deno.env.set("GAZE_DATA_DIR", "/tmp/from-env");
    assertEquals(resolveDataRoot({ dataDir: "/tmp/flag" }), "/tmp/flag");
    assertEquals(resolveDataRoot(), "/tmp/from-env");
    Deno.env.delete("GAZE_DATA_DIR");
    assertEquals(resolveDataRoot().endsWith("/data/cache"), true);
  } finally {
    if (saved === undefined) Deno.env.delete("GAZE_DATA_DIR");
    else Deno.env.set("GAZE_DATA_DIR", saved);
  }
});

Deno.test("derivedDir honours GAZE_DERIVED_DIR", () => {
  const saved = Deno.env.get("GAZE_DERIVED_DIR");
  try {
    Deno.env.delete("GAZE_DERIVED_DIR");
    assertEquals(derivedDir("/r", "kvasir", "crf"), "/r/derived/kvasir/crf");
    Deno.env.set("GAZE_DERIVED_DIR", "/w");
    assertEquals(derivedDir("/r", "kvasir", "crf"), "/w/kvasir/crf");
  } finally {
    if (saved === undefined) Deno.env.delete("GAZE_DERIVED_DIR");
    else Deno.env.set("GAZE_DERIVED_DIR", saved);
  }
});

Deno.test("assertPlainId refuses path separators and '..'", () => {
  assertEquals(assertPlainId("cju0qkwl35piu0993l0dewei2", "train.txt:1"), "cju0qkwl35piu0993l0dewei2");
  for (const bad of ["a/b", "..", "x..y", "a\\b", ""]) {
    assertThrows(() => assertPlainId(bad, "train.txt:7"), Error, "train.txt:7");
  }
});
