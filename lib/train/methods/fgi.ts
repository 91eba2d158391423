/**
 * `fgi`: From Gaze to Insight (METHOD.md sections 5-7). A text-fused teacher and a smaller student,
 * trained from scratch.
 *
 * Joint schedule (the released code), per micro-batch:
 * ```
 * teacher on the clean image + text          -> z_T, D_1..D_4      (training mode)
 * student on the DARM-masked image           -> z_S, S_1..S_4
 * L_T  = BCE(z_T[1], M_hc) (code) | partial CE(z_T, M_hc, ignore = M_hc != M_bc) (paper)
 * L_S  = BCE(z_S[1], DARM-masked M_bc)
 * AFC  = 0.5 mean_s mean_px (1 - cos(S_s, sg(D_s)))
 * box  = one CutMix box per batch (Beta(4,4), random permutation)
 * CWC_T = cwc(teacher(CutMix(clean + U(-.2,.2)), text), CutMix(sg(z_S)))
 * CWC_S = cwc(student(CutMix(masked + U(-.2,.2))),     CutMix(sg(z_T)))
 * L = L_T + L_S + w(t) (CWC_T + CWC_S) + afcWeight (0.1) w(t) AFC
 * ```
 * The teacher keeps each sample's own text for its CutMix input (the pasted box comes from another
 * image; its text is not mixed). Fresh noise per direction; one box for both directions.
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
import { resolveSwitches } from "../config.ts";
import { buildNetworks, disposeNetworks, foregroundLogit, optimizerSettings } from "./networks.ts";
import type { LossTerms, MethodOptions, Phase, PreparedStep, StepContext, TrainBatch, TrainMethod } from "./types.ts";

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

  const teacherLoss = (logits: tf.Tensor4D, batch: TrainBatch): tf.Scalar =>
    sw.teacherLoss === "bce"
      ? bceWithLogits(logits, batch.mhc!)
      : tf.tidy(() => partialCrossEntropy(logits, batch.mhc!, { ignore: tf.notEqual(batch.mhc!, batch.mbc!) }));

  const teacherInputs = (image: tf.Tensor4D, batch: TrainBatch) => ({
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
    const owned: tf.Tensor[] = [];
    const carried: tf.Tensor[] = []; // values passed between the joint stages
    const own = <T extends tf.Tensor>(t: T): T => {
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
    let frozen: { logits: tf.Tensor4D; distill: tf.Tensor4D[] } | null = null;
    if (phase === "student") {
      const out = teacherForward(teacher, teacherInputs(batch.image, batch), { training: false });
      frozen = { logits: own(out.logits), distill: out.distill.map(own) };
      tf.dispose([out.features, out.attention]);
    }

    // DARM on the student's input and M_bc.
    let imageS = batch.image, mbcS = batch.mbc;
    if (ab.darm) {
      const darmOpts = { rng: ctx.rng.darm, ratio: f.darm.ratio, minBlock: f.darm.minBlock, maxBlock: f.darm.maxBlock };
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

    // CWC inputs: one box per batch, fresh noise per direction.
    let box: CutMixBox | null = null, mixT: tf.Tensor4D | null = null, mixS: tf.Tensor4D | null = null;
    if (ab.cwc) {
      box = drawCutMixBox(B, { height: S, width: S }, { rng: ctx.rng.cwc, alpha: f.cutMixAlpha });
      if (phase === "joint") {
        const noisy = addUniformNoise(batch.image, { rng: ctx.rng.cwc, amplitude: f.noise });
        mixT = own(applyCutMix(noisy, box));
        noisy.dispose();
      }
      const noisyS = addUniformNoise(imageS, { rng: ctx.rng.cwc, amplitude: f.noise });
      mixS = own(applyCutMix(noisyS, box));
      noisyS.dispose();
      stats.cutmix_lambda = box.lambda;
    }

    return {
      compute(): LossTerms {
        const w = ctx.rampWeight;
        const terms: Record<string, tf.Scalar> = {};
        const parts: tf.Tensor[] = [];
        const sOut = studentForward(student, { image: imageS }, { training: true });
        let tLogits: tf.Tensor4D, tDistill: tf.Tensor4D[];
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
        if (box && mixS) {
          const zS = studentForward(student, { image: mixS }, { training: true }).logits;
          terms.CWC_S = cwcLoss(zS, cutMixTarget(stopGradient(tLogits), box), cwcOpts);
          parts.push(tf.mul(terms.CWC_S, w));
          if (mixT) {
            const zT = teacherForward(teacher, teacherInputs(mixT, batch), { training: true }).logits;
            terms.CWC_T = cwcLoss(zT, cutMixTarget(stopGradient(sOut.logits), box), cwcOpts);
            parts.push(tf.mul(terms.CWC_T, w));
          }
        }
        return { total: tf.addN(parts) as tf.Scalar, terms };
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
      let zT: tf.Tensor4D | null = null, dT: tf.Tensor4D[] = [], zS: tf.Tensor4D | null = null;
      const carry = <T extends tf.Tensor>(t: T): T => {
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
            if (box && mixS) {
              const z = studentForward(student, { image: mixS }, { training: true }).logits;
              terms.CWC_S = cwcLoss(z, cutMixTarget(zT!, box), cwcOpts);
              parts.push(tf.mul(terms.CWC_S, w));
            }
            return { total: tf.addN(parts) as tf.Scalar, terms };
          },
        },
        ...(box && mixT
          ? [{
            networks: ["teacher"],
            compute(): LossTerms {
              const z = teacherForward(teacher, teacherInputs(mixT!, batch), { training: true }).logits;
              const cwcT = cwcLoss(z, cutMixTarget(zS!, box!), cwcOpts);
              return { total: tf.mul(cwcT, ctx.rampWeight) as tf.Scalar, terms: { CWC_T: cwcT } };
            },
          }]
          : []),
      ];
    }
  }

  return {
    name: "fgi",
    needs: { masks: false, gaze: true, text: useText },
    networks,
    reported: "student",
    phases,
    optimizerFor: () => optimizerSettings(config, sw.optimizer),
    prepare,
    predict(image, opts = {}) {
      const network = opts.network ?? "student";
      return tf.tidy(() => {
        if (network === "student") return foregroundLogit(studentForward(student, { image }).logits);
        if (network === "teacher") {
          if (useText && !opts.text) throw new Error("fgi: predicting with the teacher needs text tokens");
          return foregroundLogit(teacherForward(teacher, { image, text: useText ? opts.text : undefined }).logits);
        }
        throw new Error(`fgi: unknown network '${network}' (expected student or teacher)`);
      });
    },
    needsText: (network) => network === "teacher" && useText,
    attention(image, text) {
      if (!useText) return [];
      return tf.tidy(() => teacherForward(teacher, { image, text }).attention);
    },
    dispose: () => disposeNetworks(networks),
  };
}

/**
 * `applyCutMix` for target logits computed INSIDE the gradient tape: the batch permutation is built
 * from slices and a concat instead of `tf.gather`, whose gradient (UnsortedSegmentSum) the wasm
 * backend lacks. Same values as `applyCutMix(y, box)`.
 */
export function cutMixTarget(y: tf.Tensor4D, box: CutMixBox): tf.Tensor4D {
  const [b, h, w] = y.shape;
  return tf.tidy(() => {
    const m = cutMixMask(box, { height: h, width: w });
    const other = b === 1 ? y : tf.concat(box.permutation.map((i) => tf.slice(y, [i, 0, 0, 0], [1, -1, -1, -1])), 0);
    return tf.add(tf.mul(y, tf.sub(1, m)), tf.mul(other, m)) as tf.Tensor4D;
  });
}

/** Softmax foreground probability `[B, H, W]` of 2-channel logits. */
function foregroundProb(logits: tf.Tensor4D): tf.Tensor3D {
  const [b, h, w, k] = logits.shape;
  return tf.tidy(() => tf.reshape(tf.slice(tf.softmax(logits, -1), [0, 0, 0, k - 1], [b, h, w, 1]), [b, h, w]));
}
