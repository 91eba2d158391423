/**
 * Training-method plug-ins of the one loop: `fullsup`, `gaze1`, `gazemedseg`, `fgi`.
 *
 * @module
 */
import type { MethodName, TrainConfig } from "../config.ts";
import { createFgi } from "./fgi.ts";
import { createFullsup } from "./fullsup.ts";
import { createGaze1 } from "./gaze1.ts";
import { createGazeMedSeg } from "./gazemedseg.ts";
import type { MethodOptions, TrainMethod } from "./types.ts";

export * from "./types.ts";
export * from "./networks.ts";
export * from "./fullsup.ts";
export * from "./gaze1.ts";
export * from "./gazemedseg.ts";
export * from "./fgi.ts";

/** Create a method by name (errors list the valid names). */
export function createMethod(name: MethodName | string, options: MethodOptions): TrainMethod {
  switch (name) {
    case "fullsup":
      return createFullsup(options);
    case "gaze1":
      return createGaze1(options);
    case "gazemedseg":
      return createGazeMedSeg(options);
    case "fgi":
      return createFgi(options);
    default:
      throw new Error(`unknown method '${name}' (expected fullsup, gaze1, gazemedseg or fgi)`);
  }
}

/**
 * What a method needs loaded, without building it: ground-truth masks (fullsup), gaze maps
 * (gaze1, gazemedseg, fgi), text (fgi unless the `text` ablation is off).
 */
export function methodNeeds(name: MethodName | string, config: TrainConfig): TrainMethod["needs"] {
  switch (name) {
    case "fullsup":
      return { masks: true, gaze: false, text: false };
    case "gaze1":
    case "gazemedseg":
      return { masks: false, gaze: true, text: false };
    case "fgi":
      return { masks: false, gaze: true, text: config.ablation.text };
    default:
      throw new Error(`unknown method '${name}' (expected fullsup, gaze1, gazemedseg or fgi)`);
  }
}
