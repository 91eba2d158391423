/**
 * `fgi`: From Gaze to Insight (docs/METHOD.md sections 5-7). A text-fused teacher and a smaller student,
 * trained from scratch.
 *
 * Joint schedule (the released code), per micro-batch:
 * ```
 * teacher on the clean image + text          -> z_T, D_1..D_4      (training mode)
 * student on the DARM-masked image           -> z_S, S_1..S_4
 * L_T  = BCE(z_T[1], M_hc) (code) | partial CE(z_T, M_hc, ignore = M_hc != M_bc) (paper)
 * L_S  = BCE(z_S[1], DARM-masked M_bc)
 * AFC  = 0.5 mean_s mean_px (1 - cos(S_s, sg(D_s)))
 * CWC_T = cwc(teacher(CutMix_1(clean + U(-.2,.2)), text), CutMix_1(sg(z_S)))
 * CWC_S = cwc(student(CutMix_2(clean + U(-.2,.2))),       CutMix_2(sg(z_T)))
 * L = L_T + L_S + w(t) (CWC_T + CWC_S) + afcWeight (0.1) w(t) AFC
 * ```
 * As the released `_update`: each direction draws fresh noise and its own CutMix (own permutation,
 * lambda ~ Beta(4,4) and one box centre per sample), in the order noise_T, CutMix_1, noise_S,
 * CutMix_2; both CWC inputs start from the CLEAN image. The teacher keeps each sample's own text
 * for its CutMix input (the pasted box comes from another image; its text is not mixed).
 * Switches keep this toolkit's earlier readings: `cwcStudentInput: "masked"` (the student's CWC
 * input starts from the DARM-masked image) and `cutMix: "shared"` (one box per batch for both
 * directions, drawn before the noise); `darmWindow` / `darmTarget` select the DARM block rules;
 * `rampStart: "one"` makes the k-th step of a phase use w(k), as the released `ConsistencyWeight`.
 *
 * DARM (`switches.darmSource`): `gaze` = blocks around pixels where M_hc != M_bc (code);
 * `prediction` = blocks around pixels where the teacher's and student's foreground probabilities
 * (softmax channel 1, eval-mode forward passes on the clean image, no gradient) fall on different
 * sides of 0.5, largest gap first (paper). Blocks zero the student's normalised image and M_bc.
 *
 * Teacher-first schedule (paper): phase `teacher` (the first round(teacherFirstFraction *
 * iterations) iterations) trains the teacher alone on L_T; phase `student` trains the student
 * against the FROZEN teacher (eval mode, no gradient): L_S + w(t) CWC_S + afcWeight w(t) AFC, with
 * t counted from the start of the phase; each phase has its own half-cosine lr schedule.
 *
 * Ablations: `text` off = teacher without fusion (no text needed); `afc` / `cwc` off drop those
 * terms (and the CWC passes); `darm` off = the student sees the clean image and the full M_bc.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { darmGaze } from "../../darm/gaze.ts";
import { darmPrediction } from "../../darm/prediction.ts";
import { afcLoss } from "../../losses/afc.ts";
import { bceWithLogits } from "../../losses/bce_with_logits.ts";
import { applyCutMix, type CutMixBox, cutMixMask, drawCutMixBox } from "../../losses/cutmix.ts";
import { cwcLoss } from "../../losses/cwc.ts";
import { partialCrossEntropy } from "../../losses/partial_ce.ts";
import { addUniformNoise } from "../../losses/uniform_noise.ts";
import { stopGradient } from "../../models/stop_gradient.ts";
import { studentForward } from "../../models/student.ts";
import { teacherForward } from "../../models/teacher.ts";
import type { Model, StudentConfig, TeacherConfig } from "../../models/types.ts";
import { darmOptionsFor, type FgiSwitches, resolveSwitches } from "../config.ts";
import type { Rng } from "../../core/rng.ts";
import { buildNetworks, disposeNetworks, foregroundLogit, optimizerSettings } from "./networks.ts";
import type { LossTerms, MethodOptions, Phase, PreparedStep, StepContext, TrainBatch, TrainMethod } from "./types.ts";
import type { Scalar, Tensor, Tensor3D, Tensor4D } from "../../backend/tensor_types.ts";

/** Iterations of the teacher-only phase under `teacher-first`. */
export function teacherPhaseLength(iterations: number, fraction: number): number {
  if (iterations < 2) throw new Error(`fgi: schedule 'teacher-first' needs iterations >= 2, got ${iterations}`);
  return Math.min(iterations - 1, Math.max(1, Math.round(fraction * iterations)));
}

/** Create the `fgi` method (see module doc). */
export function createFgi(options: MethodOptions): TrainMethod {
  const { config } = options;
  const sw = resolveSwitches(config);
  const ab = config.ablation;
  const f = config.fgi;
  const networks = buildNetworks(["teacher", "student"], config, {
    channels: options.channels,
    existing: options.networks,
  });
  const teacher = networks.get("teacher") as Model<TeacherConfig>;
  const student = networks.get("student") as Model<StudentConfig>;
  const useText = ab.text;
  const cwcOpts = { variant: sw.cwcConfidence, tauPos: f.tauPos, tauNeg: f.tauNeg };

  const teacherLoss = (logits: Tensor4D, batch: TrainBatch): Scalar =>
    sw.teacherLoss === "bce"
      ? bceWithLogits(logits, batch.mhc!)
      : tf.tidy(() => partialCrossEntropy(logits, batch.mhc!, { ignore: tf.notEqual(batch.mhc!, batch.mbc!) }));

  const teacherInputs = (image: Tensor4D, batch: TrainBatch) => ({
    image,
    text: useText ? batch.text ?? undefined : undefined,
  });

  function phases(): Phase[] {
    const n = config.iterations;
    if (sw.schedule === "joint") return [{ name: "joint", start: 0, end: n, networks: ["teacher", "student"] }];
    const n1 = teacherPhaseLength(n, f.teacherFirstFraction);
    return [
      { name: "teacher", start: 0, end: n1, networks: ["teacher"] },
      { name: "student", start: n1, end: n, networks: ["student"] },
    ];
  }

  async function prepare(batch: TrainBatch, ctx: StepContext): Promise<PreparedStep> {
    if (!batch.mhc || !batch.mbc) throw new Error("fgi: the batch has no gaze levels (M_hc, M_bc)");
    if (useText && !batch.text) throw new Error("fgi: the teacher needs text tokens but the batch has none");
    const phase = ctx.phase.name;
    const owned: Tensor[] = [];
    const carried: Tensor[] = []; // values passed between the joint stages
    const own = <T extends Tensor>(t: T): T => {
      owned.push(t);
      return t;
    };
    const stats: Record<string, number> = {};
    const B = batch.image.shape[0], S = batch.image.shape[1];

    if (phase === "teacher") {
      return {
        compute(): LossTerms {
          const out = teacherForward(teacher, teacherInputs(batch.image, batch), { training: true });
          const lt = teacherLoss(out.logits, batch);
          return { total: lt, terms: { L_T: lt } };
        },
        stats,
        dispose() {},
      };
    }

    // Frozen teacher (teacher-first, phase 2): its outputs are constants computed here.
    let frozen: { logits: Tensor4D; distill: Tensor4D[] } | null = null;
    if (phase === "student") {
      const out = teacherForward(teacher, teacherInputs(batch.image, batch), { training: false });
      frozen = { logits: own(out.logits), distill: out.distill.map(own) };
      tf.dispose([out.features, out.attention]);
    }

    // DARM on the student's input and M_bc.
    let imageS = batch.image, mbcS = batch.mbc;
    if (ab.darm) {
      const darmOpts = darmOptionsFor(config, ctx.rng.darm);
      // Read back asynchronously (GPU backends) and run the array version of DARM.
      const shape = { batch: B, height: S, width: S, channels: batch.image.shape[3] };
      const [image, mbc] = (await Promise.all([batch.image.data(), batch.mbc.data()])) as Float32Array[];
      let r;
      if (sw.darmSource === "gaze") {
        const mhc = (await batch.mhc.data()) as Float32Array;
        r = darmGaze({ image, mbc, mhc, shape }, darmOpts);
      } else {
        const [pt, ps] = tf.tidy(() => {
          const zt = frozen?.logits ?? teacherForward(teacher, teacherInputs(batch.image, batch)).logits;
          const zs = studentForward(student, { image: batch.image }).logits;
          return [foregroundProb(zt), foregroundProb(zs)];
        });
        const [teacherProb, studentProb] = (await Promise.all([pt.data(), ps.data()])) as Float32Array[];
        tf.dispose([pt, ps]);
        r = darmPrediction({ image, mbc, teacherProb, studentProb, shape }, darmOpts);
      }
      imageS = own(tf.tensor4d(r.image, [B, S, S, shape.channels]));
      mbcS = own(tf.tensor4d(r.mbc, [B, S, S, 1]));
      stats.darm_candidates = r.candidates;
      stats.darm_masked = r.maskedArea;
    }

    // CWC inputs (see module doc for the order of the draws).
    let boxT: CutMixBox | null = null, boxS: CutMixBox | null = null;
    let mixT: Tensor4D | null = null, mixS: Tensor4D | null = null;
    if (ab.cwc) {
      const c = cwcInputs({ clean: batch.image, masked: imageS }, {
        rng: ctx.rng.cwc,
        teacher: phase === "joint",
        noise: f.noise,
        alpha: f.cutMixAlpha,
        cutMix: sw.cutMix,
        studentInput: sw.cwcStudentInput,
      });
      if (c.teacher) [mixT, boxT] = [own(c.teacher.input), c.teacher.box];
      [mixS, boxS] = [own(c.student.input), c.student.box];
      stats.cutmix_lambda = boxS.lambda;
    }

    return {
      compute(): LossTerms {
        const w = ctx.rampWeight;
        const terms: Record<string, Scalar> = {};
        const parts: Tensor[] = [];
        const sOut = studentForward(student, { image: imageS }, { training: true });
        let tLogits: Tensor4D, tDistill: Tensor4D[];
        if (frozen) {
          tLogits = frozen.logits;
          tDistill = frozen.distill;
        } else {
          const tOut = teacherForward(teacher, teacherInputs(batch.image, batch), { training: true });
          tLogits = tOut.logits;
          tDistill = tOut.distill;
          terms.L_T = teacherLoss(tOut.logits, batch);
          parts.push(terms.L_T);
        }
        terms.L_S = bceWithLogits(sOut.logits, mbcS);
        parts.push(terms.L_S);
        if (ab.afc) {
          terms.AFC = afcLoss(sOut.aligned, tDistill);
          parts.push(tf.mul(terms.AFC, f.afcWeight * w));
        }
        if (mixT && boxT) {
          const zT = teacherForward(teacher, teacherInputs(mixT, batch), { training: true }).logits;
          terms.CWC_T = cwcLoss(zT, cutMixTarget(stopGradient(sOut.logits), boxT), cwcOpts);
          parts.push(tf.mul(terms.CWC_T, w));
        }
        if (mixS && boxS) {
          const zS = studentForward(student, { image: mixS }, { training: true }).logits;
          terms.CWC_S = cwcLoss(zS, cutMixTarget(stopGradient(tLogits), boxS), cwcOpts);
          parts.push(tf.mul(terms.CWC_S, w));
        }
        return { total: tf.addN(parts) as Scalar, terms };
      },
      stages: frozen ? undefined : jointStages(),
      stats,
      dispose: () => tf.dispose([...owned, ...carried.splice(0)]),
    };

    /**
     * The joint loss in three tapes (see PreparedStep.stages): teacher on the clean image (L_T),
     * then the student's passes (L_S, AFC, CWC_S against the kept sg(z_T), sg(D_s)), then the teacher
     * on its CutMix input (CWC_T against the kept sg(z_S)). Every cross-network value is a
     * stop-gradient constant in `compute` too, so the summed gradients are the same; each network's
     * passes keep their order (clean, then CutMix), so BatchNorm statistics update as in `compute`.
     */
    function jointStages() {
      let zT: Tensor4D | null = null, dT: Tensor4D[] = [], zS: Tensor4D | null = null;
      const carry = <T extends Tensor>(t: T): T => {
        const k = tf.keep(tf.clone(t)) as T;
        carried.push(k);
        return k;
      };
      return [
        {
          networks: ["teacher"],
          compute(): LossTerms {
            const tOut = teacherForward(teacher, teacherInputs(batch.image, batch), { training: true });
            zT = carry(tOut.logits);
            dT = tOut.distill.map(carry);
            const lt = teacherLoss(tOut.logits, batch);
            return { total: lt, terms: { L_T: lt } };
          },
        },
        {
          networks: ["student"],
          compute(): LossTerms {
            const w = ctx.rampWeight;
            const sOut = studentForward(student, { image: imageS }, { training: true });
            zS = carry(sOut.logits);
            const terms: Record<string, tf.Scalar> = { L_S: bceWithLogits(sOut.logits, mbcS) };
            const parts: tf.Tensor[] = [terms.L_S];
            if (ab.afc) {
              terms.AFC = afcLoss(sOut.aligned, dT);
              parts.push(tf.mul(terms.AFC, f.afcWeight * w));
            }
            if (boxS && mixS) {
              const z = studentForward(student, { image: mixS }, { training: true }).logits;
              terms.CWC_S = cwcLoss(z, cutMixTarget(zT!, boxS), cwcOpts);
              parts.push(tf.mul(terms.CWC_S, w));
            }
            return { total: tf.addN(parts) as tf.Scalar, terms };
          },
        },
        ...(boxT && mixT
          ? [{
            networks: ["teacher"],
            compute(): LossTerms {
              const z = teacherForward(teacher, teacherInputs(mixT!, batch), { training: true }).logits;
              const cwcT = cwcLoss(z, cutMixTarget(zS!, boxT!), cwcOpts);
              return { total: tf.mul(cwcT, ctx.rampWeight) as tf.Scalar, terms: { CWC_T: cwcT } };
            },
          }]
          : []),
      ];
    }
  }

  function outputs(image: Tensor4D, opts: { network?: string; text?: Tensor3D } = {}): Tensor4D {
    const network = opts.network ?? "student";
    return tf.tidy(() => {
      if (network === "student") return studentForward(student, { image }).logits;
      if (network === "teacher") {
        if (useText && !opts.text) throw new Error("fgi: predicting with the teacher needs text tokens");
        return teacherForward(teacher, { image, text: useText ? opts.text : undefined }).logits;
      }
      throw new Error(`fgi: unknown network '${network}' (expected student or teacher)`);
    });
  }

  return {
    name: "fgi",
    needs: { masks: false, gaze: true, text: useText },
    networks,
    reported: "student",
    rampOffset: sw.rampStart === "one" ? 1 : 0,
    phases,
    optimizerFor: () => optimizerSettings(config, sw.optimizer),
    prepare,
    predict(image, opts = {}) {
      return tf.tidy(() => foregroundLogit(outputs(image, opts)));
    },
    outputs,
    needsText: (network) => network === "teacher" && useText,
    attention(image, text) {
      if (!useText) return [];
      return tf.tidy(() => teacherForward(teacher, { image, text }).attention);
    },
    dispose: () => disposeNetworks(networks),
  };
}

/** Options of {@link cwcInputs}. */
export interface CwcInputsOptions {
  /** The iteration's CWC generator (noise and CutMix). */
  rng: Rng;
  /** Build the teacher's input too (joint phase). */
  teacher: boolean;
  /** Noise half-width (0.2). */
  noise: number;
  /** Beta parameter of lambda (4). */
  alpha: number;
  /** `per-direction` (released code) or `shared` (see `FgiSwitches.cutMix`). */
  cutMix: FgiSwitches["cutMix"];
  /** `clean` (released code) or `masked` (see `FgiSwitches.cwcStudentInput`). */
  studentInput: FgiSwitches["cwcStudentInput"];
}

/**
 * The CWC inputs of one (micro-)batch: teacher = CutMix_1(clean + noise_T), student =
 * CutMix_2(source + noise_S) with source the clean (or, `studentInput: "masked"`, the DARM-masked)
 * image. Draws, in order: noise_T, CutMix_1, noise_S, CutMix_2 (`per-direction`, as the released
 * `_update`), or one CutMix first, then noise_T, noise_S (`shared`). The caller owns the tensors.
 */
export function cwcInputs(
  images: { clean: Tensor4D; masked: Tensor4D },
  options: CwcInputsOptions,
): { teacher: { input: Tensor4D; box: CutMixBox } | null; student: { input: Tensor4D; box: CutMixBox } } {
  const { rng } = options;
  const [B, H, W] = images.clean.shape;
  const draw = () =>
    drawCutMixBox(B, { height: H, width: W }, {
      rng,
      alpha: options.alpha,
      perSample: options.cutMix === "per-direction",
    });
  const mixed = (source: tf.Tensor4D, box: () => CutMixBox) => {
    const noisy = addUniformNoise(source, { rng, amplitude: options.noise });
    const b = box();
    const input = applyCutMix(noisy, b);
    noisy.dispose();
    return { input, box: b };
  };
  const source = options.studentInput === "clean" ? images.clean : images.masked;
  const shared = options.cutMix === "shared" ? draw() : null;
  const pick = shared ? () => shared : draw;
  const teacher = options.teacher ? mixed(images.clean, pick) : null;
  return { teacher, student: mixed(source, pick) };
}

/**
 * `applyCutMix` for target logits computed INSIDE the gradient tape: the batch permutation is built
 * from slices and a concat instead of `tf.gather`, whose gradient (UnsortedSegmentSum) the wasm
 * backend lacks. Same values as `applyCutMix(y, box)`.
 */
export function cutMixTarget(y: Tensor4D, box: CutMixBox): Tensor4D {
  const [b, h, w] = y.shape;
  return tf.tidy(() => {
    const m = cutMixMask(box, { height: h, width: w });
    const other = b === 1 ? y : tf.concat(box.permutation.map((i) => tf.slice(y, [i, 0, 0, 0], [1, -1, -1, -1])), 0);
    return tf.add(tf.mul(y, tf.sub(1, m)), tf.mul(other, m)) as Tensor4D;
  });
}

/** Softmax foreground probability `[B, H, W]` of 2-channel logits. */
function foregroundProb(logits: Tensor4D): Tensor3D {
  const [b, h, w, k] = logits.shape;
  return tf.tidy(() => tf.reshape(tf.slice(tf.softmax(logits, -1), [0, 0, 0, k - 1], [b, h, w, 1]), [b, h, w]));
}
