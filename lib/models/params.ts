/**
 * The parameter store: create it, add named parameters and state, read them back.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ParamLayout, ParamStore } from "./types.ts";
import type { Variable } from "../backend/tensor_types.ts";

/** An empty {@link ParamStore}. */
export function createParamStore(): ParamStore {
  return { trainable: new Map(), state: new Map(), layout: new Map() };
}

/** Options for {@link addParam}. */
export interface AddParamOptions {
  /** Shape in tfjs layout. */
  shape: number[];
  /** Checkpoint layout (default `plain`). */
  layout?: ParamLayout;
  /** False for non-trainable state such as BatchNorm running statistics (default true). */
  trainable?: boolean;
}

/**
 * Add a named float32 parameter with the given initial values (a new `Variable`).
 * Throws when the name is already taken or the value count does not match the shape.
 */
export function addParam(store: ParamStore, name: string, values: Float32Array, options: AddParamOptions): Variable {
  if (store.trainable.has(name) || store.state.has(name)) throw new Error(`addParam: '${name}' already exists`);
  const n = options.shape.reduce((a, b) => a * b, 1);
  if (values.length !== n) {
    throw new Error(`addParam: '${name}' got ${values.length} values for shape [${options.shape}] (${n})`);
  }
  const trainable = options.trainable ?? true;
  const v = tf.tidy(() => tf.variable(tf.tensor(values, options.shape, "float32"), trainable));
  (trainable ? store.trainable : store.state).set(name, v);
  store.layout.set(name, options.layout ?? "plain");
  return v;
}

/** The parameter or state variable `name`; throws a clear error naming it when absent. */
export function getParam(store: ParamStore, name: string): Variable {
  const v = store.trainable.get(name) ?? store.state.get(name);
  if (!v) throw new Error(`model parameter '${name}' does not exist (wrong config for these parameters?)`);
  return v;
}

/** True when the store holds `name`. */
export function hasParam(store: ParamStore, name: string): boolean {
  return store.trainable.has(name) || store.state.has(name);
}
