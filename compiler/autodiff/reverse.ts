/**
 * Reverse-mode differentiation on the IR. Walking the nodes between the
 * differentiated values and the outputs in reverse order, each node's
 * gradient rule (written against F, here F = sym) adds the nodes computing
 * its inputs' gradients; gradients reaching a value along several paths are
 * summed. The result is ordinary IR: it is folded while built, and the
 * usual passes apply to it.
 * Invariant: a gradient has the dtype and shape of its value.
 */
import { isFloat } from '../../runtime/dtypes.js';
import type { Node } from '../ir/node.js';
import { Value } from '../ir/value.js';
import type { GradCtx } from '../ops/define.js';
import { namingOnnxNode, OpError, withScope } from '../ops/errors.js';
import { getOp } from '../ops/registry.js';
import { Symbol } from '../trace/symbol.js';
import { symOps } from '../trace/sym.js';

/**
 * The gradients of `outputs` (weighted by `headGrads`, one per output) with
 * respect to each value of `wrt`; null where a value does not influence the
 * outputs.
 *
 * ```ts
 * const [dw] = gradients([loss.value], [w.value], [ones.value]);
 * ```
 */
export function gradients(outputs: Value[], wrt: Value[], headGrads: Value[]): (Value | null)[] {
  if (headGrads.length !== outputs.length) throw new Error(`gradients: ${outputs.length} outputs but ${headGrads.length} head gradients`);
  const nodes = between(outputs, wrt);
  const grads = new Map<Value, Value>();
  const accumulate = (v: Value, g: Value): void => {
    const old = grads.get(v);
    grads.set(v, old ? (symOps.add(new Symbol(old), new Symbol(g)) as Symbol).value : g);
  };
  // Integer outputs (indices, counts) carry no gradient, as integer inputs receive none.
  outputs.forEach((o, i) => isFloat(o.type.dtype) && accumulate(o, headGrads[i]!));
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k]!;
    const gOuts = node.outputs.map((o) => grads.get(o) ?? null);
    if (gOuts.every((g) => g === null)) continue;
    // A node built from an imported ONNX node names it in every error of its gradient (its scope's ONNX element).
    try {
      const def = getOp(node.op);
      if (typeof def.grad !== 'function') {
        const why = def.noGradReason ? `: ${def.noGradReason}` : '';
        throw new OpError(node.op, `has no gradient rule, so it cannot be differentiated${why}`, node.inputs.map((v) => v.type));
      }
      const ctx: GradCtx = {
        inputs: node.inputs.map((v) => new Symbol(v)),
        outputs: node.outputs.map((v) => new Symbol(v)),
        attrs: node.attrs,
        inTypes: node.inputs.map((v) => v.type),
        outTypes: node.outputs.map((v) => v.type),
        constant: (data) => new Symbol(Value.constant(data)),
      };
      const gIn = withScope(node.scope ? `${node.scope} (gradient)` : '', () =>
        def.grad!(symOps, ctx, gOuts.map((g) => (g ? new Symbol(g) : null))),
      );
      node.inputs.forEach((v, i) => {
        // F = sym: the rule returns the Symbols its operators made.
        const g = gIn[i] as Symbol | null | undefined;
        if (!g || !isFloat(v.type.dtype)) return;
        if (g.value.type.shape.join() !== v.type.shape.join()) {
          throw new OpError(node.op, `gradient rule gave input ${i} shape [${g.value.type.shape}] instead of [${v.type.shape}]`);
        }
        accumulate(v, g.value);
      });
    } catch (e) {
      throw namingOnnxNode(e, node.scope);
    }
  }
  return wrt.map((v) => grads.get(v) ?? null);
}

/** The nodes on some path from a value of `wrt` to an output, in topological order. */
function between(outputs: Value[], wrt: Value[]): Node[] {
  // Nodes reachable backwards from the outputs, in topological order.
  const order: Node[] = [];
  const seen = new Set<Node>();
  const visit = (v: Value): void => {
    const stack: [Node, number][] = v.producer && !seen.has(v.producer) ? [[v.producer, 0]] : [];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [n, i] = top;
      if (seen.has(n)) {
        stack.pop();
        continue;
      }
      if (i < n.inputs.length) {
        top[1] = i + 1;
        const p = n.inputs[i]!.producer;
        if (p && !seen.has(p)) stack.push([p, 0]);
      } else {
        stack.pop();
        seen.add(n);
        order.push(n);
      }
    }
  };
  outputs.forEach(visit);
  // Keep those depending on a differentiated value.
  const live = new Set<Value>(wrt);
  return order.filter((n) => {
    if (!n.inputs.some((v) => live.has(v))) return false;
    for (const o of n.outputs) live.add(o);
    return true;
  });
}
