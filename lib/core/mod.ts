/**
 * Small, dependency-free foundations used by every other folder: seeded random
 * numbers, atomic writes, progress bars, provenance records and CLI parsing.
 *
 * @module
 */
export * from "./rng.ts";
export * from "./atomic_write.ts";
export * from "./progress.ts";
export * from "./provenance.ts";
export * from "./cli.ts";
