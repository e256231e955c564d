/**
 * The recurrent layers' forward unrolled over time with the cell's own `F`
 * operators (one `rnnStep` per step, layer and direction): the path of
 * float64 layers and of the `unroll` option. The sequence length must be
 * concrete. With valid lengths, steps past a sequence's length keep the
 * state and give 0 (ONNX's and cuDNN's semantics); a length of 0 gives zero
 * final states, as the fused operators do.
 */
import type { F, Tensor } from '../../engine/tensor.js';
import type { FusedPlan } from './rnn-fused.js';
import { GATES, NUM_STATES, rnnStep, zerosState } from './rnn-step.js';
import { plainShape } from '../../ops/symbolic-dim.js';

/** Splits along `axis` into `n` pieces with that axis removed (n may be 1). */
function unstack(F: F, x: Tensor, n: number, axis: number): Tensor[] {
  return n === 1 ? [F.squeeze(x, { axis })] : (F.split(x, { numOutputs: n, axis, squeezeAxis: true }) as Tensor[]);
}

/**
 * Runs the layers step by step: same arguments and results as `fusedForward`
 * (`[output, ...finalStates]`, or just the output when no states are given).
 *
 * ```ts
 * const y = unrolledForward(F, plan, x, [], undefined, params) as Tensor;
 * ```
 */
export function unrolledForward(F: F, plan: FusedPlan, x: Tensor, given: Tensor[], lens: Tensor | undefined, p: Record<string, Tensor>): Tensor | Tensor[] {
  const { mode, hidden: H, layers: L, directions: D } = plan;
  const tAxis = plan.layout === 'TNC' ? 0 : 1;
  const steps = plainShape(x.shape)[tAxis] as number;
  const initial: Tensor[][] = given.map((s) => unstack(F, s, L * D, 0));
  // Per-step keep masks [N, 1]: 1 while t < length.
  const masks = lens
    ? unstack(F, F.SequenceMask(F.onesLike(F.sliceAxis(x, { axis: 2, begin: 0, end: 1 })), lens, { useSequenceLength: true, value: 0, axis: tAxis as 0 | 1 }), steps, tAxis)
    : undefined;
  const finals: Tensor[][] = given.map(() => []);
  const rows = GATES[mode] * H;
  let input = x;
  for (let k = 0; k < L; k++) {
    const outs: Tensor[] = [];
    for (let d = 0; d < D; d++) {
      const pre = `${d ? 'r' : 'l'}${k}_`;
      const i2h = F.FullyConnected(input, p[`${pre}i2h_weight`]!, p[`${pre}i2h_bias`]!, { numHidden: rows, flatten: false });
      const perStep = unstack(F, i2h, steps, tAxis);
      let state: Tensor[] = given.length
        ? initial.map((s) => s[k * D + d]!)
        : Array.from({ length: NUM_STATES[mode] }, () => zerosState(F, perStep[0]!, H));
      const hs: Tensor[] = new Array<Tensor>(steps);
      for (let j = 0; j < steps; j++) {
        const t = d ? steps - 1 - j : j;
        const next = rnnStep(F, mode, H, perStep[t]!, state, p[`${pre}h2h_weight`]!, p[`${pre}h2h_bias`]!);
        const m = masks?.[t];
        state = m ? next.map((s, i) => F.add(state[i]!, F.mul(m, F.sub(s, state[i]!)))) : next;
        hs[t] = m ? F.mul(m, next[0]!) : next[0]!;
      }
      state.forEach((s, i) => finals[i]?.push(masks ? F.mul(s, masks[0]!) : s));
      outs.push(steps === 1 ? F.expandDims(hs[0]!, { axis: tAxis }) : F.stack(...hs, { axis: tAxis }));
    }
    input = D === 1 ? outs[0]! : F.concat(...outs, { dim: 2 });
    if (plan.dropout > 0 && k < L - 1) input = F.Dropout(input, { p: plan.dropout });
  }
  if (!given.length) return input;
  return [input, ...finals.map((f) => (f.length === 1 ? F.expandDims(f[0]!, { axis: 0 }) : F.stack(...f, { axis: 0 })))];
}
