/**
 * How a `HybridBlock` call runs, by its inputs and the block's state: the
 * one dispatch table (`callStrategy`) that `HybridBlock._run` follows.
 */
import { isRecording, requiresGrad } from '../engine/autograd.js';
import { fusionEnabled } from '../engine/program.js';
import type { NDArray } from '../engine/ndarray.js';
import { currentTrace } from '../engine/trace-context.js';
import { flattenInputs, hasConstant, hasSymbol, hasTensor } from './call-inputs.js';

/** The ways a HybridBlock call runs (see `callStrategy`). */
export type CallStrategy = 'trace' | 'eager' | 'deferred' | 'compiled';

/**
 * The one dispatch table of `HybridBlock` calls; the first matching row wins.
 *
 * | inputs  | hybridized | under `record`, fusion on, no input needs a gradient | strategy |
 * |---------|------------|-----------------------------------------------------|----------|
 * | symbols, in lists too (or, inside a trace, none present) | any | any | `trace`: inline `hybridForward` (F = sym) into the parent's trace, lists and constants as given |
 * | arrays  | no         | any | `eager`: `hybridForward` with F = nd, taped operator by operator under `record`, lists and constants as given |
 * | arrays  | yes        | yes, and neither a hole nor a list among the inputs | `deferred`: join the pending fused training step (compiler/engine/program.ts); `compiled` when the call's output types cannot be known ahead |
 * | arrays  | yes        | no  | `compiled`: the signature's session — parameters baked in for prediction outside `record`, fed otherwise; under `record` one tape entry whose backward is the step builder without an update (compiler/autodiff/step.ts) |
 *
 * The fused step differentiates parameters only, so a call whose inputs need
 * gradients (`attachGrad`, or outputs of taped operators) takes `compiled`.
 * Inputs are arrays, absent ones, or (nested) lists of them (MXNet 2's
 * `_flatten`; the compiled graph's inputs are their arrays, depth first);
 * not hybridized, a number, boolean or string is passed through too, as
 * Python passes it to an un-hybridized forward; hybridized, MXNet 2 refuses
 * it, and so does this (an Error naming the input).
 * A Gluon 2 style block (it overrides `forward`, not `hybridForward`) runs
 * its `forward` where the table says `hybridForward`: on arrays eagerly, on
 * symbols while traced (then `p.data()` returns the parameter's symbol).
 *
 * ```ts
 * callStrategy(net, [nd.ones([2, 3])]); // 'compiled' after net.hybridize()
 * ```
 */
export function callStrategy(block: { readonly hybridized: boolean; readonly constructor: { name: string } }, inputs: unknown[]): CallStrategy {
  // Inside a trace, a call whose inputs are all absent (a child given only a hole) is traced too, never run on the parameters' arrays.
  if (hasSymbol(inputs) || (currentTrace() && !inputs.some((x) => x !== undefined))) return 'trace';
  const { format } = flattenInputs(block.constructor.name, inputs, !block.hybridized);
  // MXNet 2: "In HybridBlock, there must be one NDArray in the input".
  if (hasConstant(format) && !hasTensor(inputs)) throw new Error(`${block.constructor.name}: needs an NDArray among its inputs, got only constants (${inputs.map(String).join(', ')})`);
  if (!block.hybridized) return 'eager';
  // The fused step takes flat input lists: a call with a hole (an absent input before a given one) or a list runs its own session.
  if (isRecording() && fusionEnabled() && format === null && !inputs.includes(undefined) && !(inputs as NDArray[]).some(requiresGrad)) return 'deferred';
  return 'compiled';
}
