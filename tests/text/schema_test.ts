import { assert, assertEquals, assertThrows } from "../assert.ts";
import {
  areaBin,
  buildPrompt,
  canonicalJson,
  type Description,
  DescriptionError,
  descriptionIssues,
  FIELD_NAMES,
  fieldSentences,
  PROMPT_VERSION,
  repairMessage,
  type TargetKind,
  targetKind,
  validateDescription,
  VOCABULARIES,
} from "../../lib/text/mod.ts";

const good: Description = {
  Location: "upper left",
  Boundary: "well-defined",
  Characteristics: ["reddish", "smooth surface"],
  "Area Percentage": "5-15%",
  Confidence: "high",
  Remarks: ["none"],
};

Deno.test("schema: a valid polyp description passes and comes back in canonical field order", () => {
  assertEquals(descriptionIssues(good, "polyp"), []);
  const shuffled = Object.fromEntries(Object.entries(good).reverse());
  const d = validateDescription(shuffled, "polyp");
  assertEquals(Object.keys(d), [...FIELD_NAMES]);
  assertEquals(d, good);
});

Deno.test("schema: an out-of-vocabulary value names the field, the value and the allowed values", () => {
  const issues = descriptionIssues({ ...good, Boundary: "blurry" }, "polyp");
  assertEquals(issues.length, 1);
  assert(issues[0].startsWith('Boundary: "blurry" is not allowed'), issues[0]);
  assert(issues[0].includes('"well-defined", "moderately defined", "ill-defined"'), issues[0]);
});

Deno.test("schema: matching is exact (case and spacing)", () => {
  assertEquals(descriptionIssues({ ...good, Confidence: "High" }, "polyp").length, 1);
  assertEquals(descriptionIssues({ ...good, Location: "upper  left" }, "polyp").length, 1);
});

Deno.test("schema: missing, extra, wrongly typed, duplicated and too many items are all reported", () => {
  const { Confidence: _drop, ...missing } = good;
  const m = descriptionIssues(missing, "polyp");
  assertEquals(m.length, 1);
  assert(m[0].startsWith('missing field "Confidence"'), m[0]);

  const extra = descriptionIssues({ ...good, Notes: "x" }, "polyp");
  assertEquals(extra.length, 1);
  assert(extra[0].startsWith('unexpected field "Notes"'), extra[0]);

  const typed = descriptionIssues({ ...good, Characteristics: "reddish" }, "polyp");
  assert(typed[0].startsWith("Characteristics: expected an array of 1 to 4 strings"), typed[0]);

  const dup = descriptionIssues({ ...good, Characteristics: ["reddish", "reddish"] }, "polyp");
  assertEquals(dup, ['Characteristics: "reddish" appears more than once']);

  const many = descriptionIssues(
    { ...good, Characteristics: ["reddish", "pale", "flat", "sessile", "whitish"] },
    "polyp",
  );
  assertEquals(many, ["Characteristics: expected 1 to 4 items, got 5"]);

  const empty = descriptionIssues({ ...good, Remarks: [] }, "polyp");
  assertEquals(empty, ["Remarks: expected 1 to 3 items, got 0"]);

  const noneMixed = descriptionIssues({ ...good, Remarks: ["none", "specular highlights"] }, "polyp");
  assertEquals(noneMixed, ['Remarks: "none" must be the only item when present']);

  const several = descriptionIssues({ ...good, Boundary: 3, Confidence: null }, "polyp");
  assertEquals(several.length, 2);

  assertEquals(descriptionIssues([good], "polyp").length, 1);
  assertEquals(descriptionIssues("text", "polyp").length, 1);
});

Deno.test("schema: vocabularies are per kind (a polyp term is rejected for the prostate)", () => {
  const issues = descriptionIssues(good, "prostate");
  assertEquals(issues.length, 2);
  assert(issues[0].startsWith('Characteristics: "reddish" is not allowed'), issues[0]);
  assert(issues[1].startsWith('Characteristics: "smooth surface" is not allowed'), issues[1]);
  assertEquals(
    descriptionIssues({ ...good, Characteristics: ["hypointense", "homogeneous signal"] }, "prostate"),
    [],
  );
  assertEquals(descriptionIssues({ ...good, Characteristics: ["dark brown"] }, "skin lesion"), []);
});

Deno.test("schema: validateDescription throws DescriptionError with every issue and the source", () => {
  const err = assertThrows(
    () => validateDescription({ ...good, Boundary: "x", Confidence: "y" }, "polyp", "answer.json"),
    DescriptionError,
    "answer.json: invalid six-field description",
  ) as DescriptionError;
  assertEquals(err.issues.length, 2);
});

Deno.test("schema: dataset -> target kind", () => {
  assertEquals(targetKind("kvasir"), "polyp");
  assertEquals(targetKind("synthetic"), "polyp");
  assertEquals(targetKind("nci-isbi"), "prostate");
  assertEquals(targetKind("isic"), "skin lesion");
  assertThrows(() => targetKind("brats"), Error, "unknown dataset 'brats'");
});

Deno.test("schema: area bins at their edges", () => {
  assertEquals(areaBin(0), "<5%");
  assertEquals(areaBin(0.0499), "<5%");
  assertEquals(areaBin(0.05), "5-15%");
  assertEquals(areaBin(0.15), "15-30%");
  assertEquals(areaBin(0.2999), "15-30%");
  assertEquals(areaBin(0.5), ">50%");
  assertEquals(areaBin(1), ">50%");
  assertThrows(() => areaBin(Number.NaN));
});

Deno.test("schema: field sentences and canonical JSON", () => {
  assertEquals(fieldSentences(good), [
    "Location: upper left.",
    "Boundary: well-defined.",
    "Characteristics: reddish, smooth surface.",
    "Area Percentage: 5-15%.",
    "Confidence: high.",
    "Remarks: none.",
  ]);
  const reversed = Object.fromEntries(Object.entries(good).reverse()) as unknown as Description;
  assertEquals(canonicalJson(reversed), canonicalJson(good));
});

Deno.test("prompt: lists every allowed value of every field, and its example validates", () => {
  assert(PROMPT_VERSION.length > 0);
  for (const kind of Object.keys(VOCABULARIES) as TargetKind[]) {
    const p = buildPrompt(kind);
    for (const f of FIELD_NAMES) {
      assert(p.user.includes(`"${f}"`), `${kind}: field ${f} missing from the prompt`);
      for (const v of VOCABULARIES[kind][f]) assert(p.user.includes(JSON.stringify(v)), `${kind}: ${v} missing`);
    }
    const example = p.user.match(/Example of the format \(not of the content\): (\{.*\})$/m);
    assert(example, `${kind}: no example line`);
    assertEquals(descriptionIssues(JSON.parse(example[1]), kind), []);
    assert(/ONE JSON object/.test(p.system));
  }
});

Deno.test("prompt: the repair message quotes the validator's lines", () => {
  const msg = repairMessage(['Boundary: "blurry" is not allowed; allowed values: "well-defined"']);
  assert(msg.includes('- Boundary: "blurry" is not allowed'), msg);
  assert(msg.includes("only the corrected JSON object"), msg);
});
