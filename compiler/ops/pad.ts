/**
 * Padding (MXNet's `pad`/`Pad`: constant, edge or reflect, on any axes):
 * its type rule, ONNX lowering, kernel and gradient (the core of `g`, plus
 * for edge and reflect the gradients of the copied elements folded back).
 * Invariant: kernels move elements without converting them.
 */
import { stridesOf } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { TensorType } from '../ir/types.js';
import { defineOp, type Method, type OpDef, type PositionalOptions, type Tx } from './define.js';
import { axisPad, gather, ints, linearGrad, reverseAxis } from './index-ops.js';
import { addDims } from './dims.js';
import { OpError } from './errors.js';
import { computeIn, SMALL_VIA } from './elementwise.js';
import { requireDim } from './dim-constraints.js';
import type { GradOps, GradTensor } from './grad-ops.js';

type PadA = Attrs & { mode: 'constant' | 'edge' | 'reflect'; padWidth: number[]; constantValue: number };

function padPairs(types: TensorType[], a: PadA): [number, number][] {
  const t = types[0]!;
  if (!['constant', 'edge', 'reflect'].includes(a.mode)) throw new OpError('pad', `mode must be 'constant', 'edge' or 'reflect', got ${JSON.stringify(a.mode)}`, types);
  if (a.padWidth === null) throw new OpError('pad', `needs option 'padWidth' ([before0, after0, before1, after1, ...])`, types);
  const w = ints('pad', 'padWidth', a.padWidth, types);
  const r = t.shape.length;
  if (w.length !== 2 * r) throw new OpError('pad', `padWidth ${JSON.stringify(w)} must have 2 * rank = ${2 * r} entries`, types);
  if (w.some((x) => x < 0)) throw new OpError('pad', `padWidth ${JSON.stringify(w)} has a negative entry`, types);
  if (typeof a.constantValue !== 'number') throw new OpError('pad', `constantValue must be a number, got ${JSON.stringify(a.constantValue)}`, types);
  const pairs = t.shape.map((_d, k): [number, number] => [w[2 * k]!, w[2 * k + 1]!]);
  if (a.mode === 'reflect') {
    t.shape.forEach((d, k) => {
      const widest = Math.max(...pairs[k]!);
      if (!widest) return;
      requireDim({
        op: 'pad', dim: d, cmp: '>=', value: widest + 1, types,
        why: `reflect padding ${pairs[k]!.join(', ')} of axis ${k} must be smaller than its size`,
        fail: (v) => `reflect padding ${pairs[k]!.join(', ')} of axis ${k} must be smaller than its size ${v}`,
      });
    });
  }
  return pairs;
}

/**
 * The gradient of pad: the core of `g`, plus (edge) the sums of the padded
 * bands added to the first and last elements, or (reflect) the padded bands
 * mirrored back onto the elements they copy. Axes are independent, so they are
 * undone one at a time. Reflect needs the padded axes' sizes; edge assumes a
 * symbolic padded axis has at least 2 elements.
 */
function unpad(F: GradOps, g: GradTensor, types: TensorType[], a: PadA): GradTensor {
  const pairs = padPairs(types, a);
  const t = types[0]!;
  const r = t.shape.length;
  const band = (y: GradTensor, ax: number, b: number, e: number | null) => F.sliceAxis(y, { axis: ax, begin: b, end: e });
  if (a.mode === 'constant') {
    if (pairs.every(([p, q]) => p === 0 && q === 0)) return g;
    return F.slice(g, { begin: pairs.map(([p]) => p), end: pairs.map(([, q]) => (q > 0 ? -q : null)) });
  }
  let y = g;
  pairs.forEach(([p, q], ax) => {
    if (p === 0 && q === 0) return;
    const n = t.shape[ax]!;
    let core = band(y, ax, p, q > 0 ? -q : null);
    if (a.mode === 'edge') {
      const left = p > 0 ? F.sum(band(y, ax, 0, p), { axis: ax, keepdims: true }) : null;
      const right = q > 0 ? F.sum(band(y, ax, -q, null), { axis: ax, keepdims: true }) : null;
      if (n === 1) {
        if (left) core = F.add(core, left);
        if (right) core = F.add(core, right);
      } else {
        const first = band(core, ax, 0, 1);
        const last = band(core, ax, -1, null);
        const parts = [left ? F.add(first, left) : first, ...(n === 2 ? [] : [band(core, ax, 1, -1)]), right ? F.add(last, right) : last];
        core = F.concat(...parts, { dim: ax });
      }
    } else {
      if (typeof n !== 'number') throw new OpError('pad', `cannot differentiate reflect padding of axis ${ax}, whose size is symbolic (${n})`, types);
      if (p > 0) core = F.add(core, F.pad(reverseAxis(F, band(y, ax, 0, p), ax), { mode: 'constant', padWidth: axisPad(r, ax, 1, n - 1 - p) }));
      if (q > 0) core = F.add(core, F.pad(reverseAxis(F, band(y, ax, -q, null), ax), { mode: 'constant', padWidth: axisPad(r, ax, n - 1 - q, 1) }));
    }
    y = core;
  });
  return y;
}

type PadSig = Method<(data: Tx, ...rest: PositionalOptions<{ mode?: 'constant' | 'edge' | 'reflect'; padWidth: number[]; constantValue?: number }, ['mode', 'padWidth', 'constantValue']>) => Tx>;

/**
 * Pads every axis by MXNet's `padWidth` ([before0, after0, before1, after1, ...]),
 * with a constant, the edge values, or a reflection.
 * Example: `F.pad(x, { mode: 'constant', padWidth: [0, 0, 0, 0, 1, 1, 1, 1] })`.
 */
export const pad: OpDef<PadSig, PadA> = defineOp<PadSig, PadA>({
  name: 'pad',
  inputs: ['data'],
  attrs: { mode: 'constant', padWidth: null, constantValue: 0 },
  positional: ['mode', 'padWidth', 'constantValue'],
  method: true,
  infer: (types, a) => {
    const pairs = padPairs(types, a);
    return [{ dtype: types[0]!.dtype, shape: types[0]!.shape.map((d, k) => addDims(addDims(d, pairs[k]![0]), pairs[k]![1])) }];
  },
  lower: computeIn<PadA>(SMALL_VIA, (c, a) => {
    const pairs = padPairs(c.inTypes, a);
    const pads = c.ints([...pairs.map((p) => p[0]), ...pairs.map((p) => p[1])]);
    const ins = [c.inputs[0]!, pads];
    if (a.mode === 'constant') ins.push(c.scalar(a.constantValue, c.inTypes[0]!.dtype));
    c.emit('Pad', ins, { mode: a.mode }, c.outputs);
  }),
  kernel: ([x], a, [out]) => {
    const pairs = padPairs([x!], a);
    const strides = stridesOf(x!.shape);
    const shape = x!.shape;
    return [gather(x!, out!.shape as number[], (idx) => {
      let o = 0;
      for (let k = 0; k < idx.length; k++) {
        const n = shape[k]!;
        let j = idx[k]! - pairs[k]![0];
        if (j < 0 || j >= n) {
          if (a.mode === 'constant') return -1;
          if (a.mode === 'edge') j = Math.min(Math.max(j, 0), n - 1);
          else while (j < 0 || j >= n) j = j < 0 ? -j : 2 * (n - 1) - j;
        }
        o += j * strides[k]!;
      }
      return o;
    }, a.constantValue)];
  },
  grad: linearGrad((F, { inTypes, attrs }, g) => unpad(F, g, inTypes, attrs as PadA)),
});

/** The padding operator by F name (MXNet's `Pad` too). */
export const PAD_OPS = { pad, Pad: pad } as const;
