/**
 * Optimisers with explicit, checkpointable state: SGD (momentum, Nesterov,
 * L2 weight decay, PyTorch `torch.optim.SGD` semantics) and Adam
 * (`torch.optim.Adam` semantics, L2 weight decay added to the gradient).
 *
 * Written here rather than taken from `tf.train` so that (1) the update rules
 * match PyTorch exactly, (2) the state (momentum buffers, Adam moments, step)
 * is plain named tensors saved in checkpoints, so a resumed run continues
 * bit-for-bit, and (3) the learning rate is an argument of every step.
 *
 * PyTorch SGD, per parameter p with gradient g, at learning rate lr:
 * ```
 * g = g + wd * p
 * buf = momentum * buf + g          (buf = g on the first step)
 * g = nesterov ? g + momentum * buf : buf
 * p = p - lr * g
 * ```
 * PyTorch Adam: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p = p - lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tensor, Variable } from "../backend/tensor_types.ts";

/** Optimiser settings (docs/METHOD.md section 7: SGD, momentum 0.9, Nesterov, wd 4e-4). */
export type OptimizerConfig =
  | { type: "sgd"; momentum: number; nesterov: boolean; weightDecay: number }
  | { type: "adam"; beta1: number; beta2: number; eps: number; weightDecay: number };

/** An optimiser over a fixed set of named variables. */
export interface Optimizer {
  /** The settings. */
  config: OptimizerConfig;
  /** Number of steps taken. */
  readonly steps: number;
  /**
   * Apply one update with the given gradients (same names as the variables;
   * names without a gradient are left unchanged) at learning rate `lr`.
   * Gradients are not disposed: the caller owns them.
   */
  apply(grads: Map<string, Tensor>, lr: number): void;
  /** The state as named tensors (for checkpoints); `step` is stored as a 1-element tensor. */
  state(): Map<string, Tensor>;
  /** Restore state saved by {@link Optimizer.state}; tensors are copied. */
  load(state: Map<string, Tensor>): void;
  /** Free the state tensors. */
  dispose(): void;
}

/**
 * Create an optimiser for `params`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { createOptimizer } from "../../mod.ts";
 * await tf.setBackend("cpu");
 * const w = tf.variable(tf.scalar(1));
 * const opt = createOptimizer(new Map([["w", w]]), { type: "sgd", momentum: 0.9, nesterov: true, weightDecay: 0 });
 * const g = tf.scalar(0.5);
 * opt.apply(new Map([["w", g]]), 0.1); // w = 1 - 0.1 * (0.5 + 0.9 * 0.5) = 0.905
 * g.dispose(); opt.dispose();
 * ```
 */
export function createOptimizer(params: Map<string, Variable>, config: OptimizerConfig): Optimizer {
  const slots = new Map<string, Variable>();
  let steps = 0;
  const slot = (key: string, like: Tensor) => {
    let s = slots.get(key);
    if (!s) {
      s = tf.tidy(() => tf.variable(tf.zerosLike(like), false));
      slots.set(key, s);
    }
    return s;
  };
  return {
    config,
    get steps() {
      return steps;
    },
    apply(grads, lr) {
      steps += 1;
      for (const [name, p] of params) {
        const g0 = grads.get(name);
        if (!g0) continue;
        if (g0.dtype !== "float32" || !tf.util.arraysEqual(g0.shape, p.shape)) {
          throw new Error(`optimizer: gradient for ${name} has shape ${g0.shape}, parameter has ${p.shape}`);
        }
        if (config.type === "sgd") {
          tf.tidy(() => {
            let g = config.weightDecay ? g0.add(p.mul(config.weightDecay)) : g0;
            if (config.momentum) {
              const buf = slot(`${name}/momentum`, p);
              const nb = steps === 1 ? g : buf.mul(config.momentum).add(g);
              buf.assign(nb);
              g = config.nesterov ? g.add(nb.mul(config.momentum)) : nb;
            }
            p.assign(p.sub(g.mul(lr)));
          });
        } else {
          tf.tidy(() => {
            const g = config.weightDecay ? g0.add(p.mul(config.weightDecay)) : g0;
            const m = slot(`${name}/exp_avg`, p), v = slot(`${name}/exp_avg_sq`, p);
            m.assign(m.mul(config.beta1).add(g.mul(1 - config.beta1)));
            v.assign(v.mul(config.beta2).add(g.square().mul(1 - config.beta2)));
            const bc1 = 1 - config.beta1 ** steps, bc2 = 1 - config.beta2 ** steps;
            const denom = v.div(bc2).sqrt().add(config.eps);
            p.assign(p.sub(m.div(bc1).div(denom).mul(lr)));
          });
        }
      }
    },
    state() {
      const out = new Map<string, Tensor>();
      for (const [k, v] of slots) out.set(k, v);
      out.set("step", tf.tensor1d([steps], "float32"));
      return out;
    },
    load(state) {
      for (const [k, v] of state) {
        if (k === "step") {
          steps = (v.dataSync() as Float32Array)[0];
          continue;
        }
        const existing = slots.get(k);
        if (existing) existing.assign(v);
        else slots.set(k, tf.tidy(() => tf.variable(v.clone(), false)));
      }
    },
    dispose() {
      for (const v of slots.values()) v.dispose();
      slots.clear();
    },
  };
}
