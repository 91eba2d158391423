import { assert, assertEquals, assertThrows } from "../assert.ts";
import { describeRejected, parseFixationCsv } from "../../lib/gaze/fixations.ts";

const HEADER =
  "IMAGE,CURRENT_FIX_INDEX,CURRENT_FIX_X,CURRENT_FIX_Y,CURRENT_FIX_DURATION,CURRENT_FIX_PUPIL,CURRENT_FIX_START,IMAGE_HEIGHT,IMAGE_WIDTH";

function csv(...rows: string[]): string {
  return [HEADER, ...rows].join("\n") + "\n";
}

Deno.test("fixations: rows are grouped per image id (IMAGE minus .jpg) and sorted by index", () => {
  const t = parseFixationCsv(
    csv(
      "a.jpg,2,0.25,0.75,120,1000,400,10.0,20.0",
      "b.jpg,1,0.1,0.2,300,900,7,5.0,6.0",
      "a.jpg,1,0.5,0.5,455,2670,7,10.0,20.0",
    ),
    { file: "t.csv" },
  );
  assertEquals(t.rows, 3);
  assertEquals([...t.images.keys()], ["a", "b"]);
  const a = t.images.get("a")!;
  assertEquals([a.width, a.height], [20, 10]);
  assertEquals(a.fixations.map((f) => [f.index, f.x, f.y, f.duration, f.line]), [
    [1, 0.5, 0.5, 455, 4],
    [2, 0.25, 0.75, 120, 2],
  ]);
  assertEquals(describeRejected(t), "");
});

Deno.test("fixations: extra columns and any column order are accepted", () => {
  const text = "EXTRA," + HEADER.split(",").reverse().join(",") + "\nz,20.0,10.0,5,9,300,0.75,0.25,1,a.jpg\n";
  const f = parseFixationCsv(text).images.get("a")!.fixations[0];
  assertEquals([f.index, f.x, f.y, f.duration, f.start, f.pupil], [1, 0.25, 0.75, 300, 5, 9]);
});

Deno.test("fixations: out-of-range coordinates and non-positive durations are left out and reported", () => {
  const t = parseFixationCsv(
    csv(
      "a.jpg,1,0.5,0.5,100,1,1,10,20",
      "a.jpg,2,1.2,0.5,100,1,1,10,20",
      "a.jpg,3,0.5,-0.01,100,1,1,10,20",
      "a.jpg,4,0.5,0.5,0,1,1,10,20",
      "a.jpg,5,0.5,0.5,-5,1,1,10,20",
    ),
    { file: "t.csv" },
  );
  assertEquals(t.images.get("a")!.fixations.map((f) => f.index), [1]);
  assertEquals(t.rejected, {
    "coordinate-out-of-range": { count: 2, firstLine: 3 },
    "non-positive-duration": { count: 2, firstLine: 5 },
  });
  const msg = describeRejected(t);
  assert(msg.includes("2 row(s) coordinate-out-of-range (first at line 3)"), msg);
  assertThrows(() => parseFixationCsv(csv("a.jpg,2,1.2,0.5,100,1,1,10,20"), { strict: true }), Error, "line 2");
});

Deno.test("fixations: malformed rows give errors naming the file, line and field", () => {
  assertThrows(
    () => parseFixationCsv("IMAGE,CURRENT_FIX_X\na.jpg,0.5\n", { file: "f.csv" }),
    Error,
    "f.csv: line 1: missing column CURRENT_FIX_INDEX",
  );
  assertThrows(
    () => parseFixationCsv(csv("a.jpg,1,abc,0.5,100,1,1,10,20"), { file: "f.csv" }),
    Error,
    'f.csv: line 2: column CURRENT_FIX_X is "abc"',
  );
  assertThrows(
    () => parseFixationCsv(csv("a.jpg,1,,0.5,100,1,1,10,20"), { file: "f.csv" }),
    Error,
    "line 2: column CURRENT_FIX_X is empty",
  );
  assertThrows(
    () => parseFixationCsv(csv("a.png,1,0.5,0.5,100,1,1,10,20"), { file: "f.csv" }),
    Error,
    "does not end in .jpg",
  );
  assertThrows(
    () => parseFixationCsv(csv("../x.jpg,1,0.5,0.5,100,1,1,10,20"), { file: "f.csv" }),
    Error,
    "not a plain name",
  );
  assertThrows(
    () => parseFixationCsv(csv("a.jpg,1.5,0.5,0.5,100,1,1,10,20"), { file: "f.csv" }),
    Error,
    "CURRENT_FIX_INDEX is 1.5",
  );
  assertThrows(
    () => parseFixationCsv(csv("a.jpg,1,0.5,0.5,100,1,1,10,0"), { file: "f.csv" }),
    Error,
    "expected positive integers",
  );
  assertThrows(
    () => parseFixationCsv(csv("a.jpg,1,0.5,0.5,100,1,1,10,20", "a.jpg,2,0.5,0.5,100,1,1,11,20"), { file: "f.csv" }),
    Error,
    "line 3: image a is 20 x 11 here but 20 x 10",
  );
  assertThrows(
    () => parseFixationCsv(csv("a.jpg,1,0.5,0.5,100,1,1,10,20", "a.jpg,1,0.4,0.5,100,1,1,10,20"), { file: "f.csv" }),
    Error,
    "CURRENT_FIX_INDEX 1 twice",
  );
  assertThrows(
    () => parseFixationCsv(csv("a.jpg,1,0.5,0.5,100,1,1,10"), { file: "f.csv" }),
    Error,
    "f.csv: not a valid CSV",
  );
  assertThrows(() => parseFixationCsv("", { file: "f.csv" }), Error, "f.csv: empty file");
});

Deno.test("fixations: an empty pupil/start field (EyeLink '.') reads as NaN, not an error", () => {
  const f = parseFixationCsv(csv("a.jpg,1,0.5,0.5,100,.,,10,20")).images.get("a")!.fixations[0];
  assert(Number.isNaN(f.pupil) && Number.isNaN(f.start));
});
