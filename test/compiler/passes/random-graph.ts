/**
 * A generator of small well-typed random graphs for the passes' property
 * test: a random program of instructions over element-wise, reduction,
 * shape and linear-algebra operators, plus the shapes the passes look for
 * (neutral constants, repeated nodes, transpose/reshape chains, hand-written
 * layer norms and GELUs, scaled and batch-normalized dense layers, scaled
 * matrix products accumulated into a tensor as an optimizer update does,
 * an ONNX LSTM differentiated through time,
 * a relu's gradient behind a max pooling's, a convolution's weight gradient).
 */
import fc from 'fast-check';
import { gradients } from '../../../compiler/autodiff/reverse.js';
import { Graph } from '../../../compiler/ir/graph.js';
import type { Shape } from '../../../compiler/ir/types.js';
import { Value } from '../../../compiler/ir/value.js';
import { apply, f32, konst, param, values } from './helpers.js';

/** One instruction of a random program: an operator family and operand choices. */
export interface Instr {
  op: number;
  a: number;
  b: number;
  k: number;
}

const UNARY = ['tanh', 'sigmoid', 'relu', 'neg', 'abs', 'square', 'exp'];
const BINARY = ['add', 'sub', 'mul', 'maximum', 'minimum'];
const REDUCE = ['sum', 'mean', 'max'];
const NEUTRAL: [string, number][] = [['mul', 1], ['add', 0], ['sub', 0], ['div', 1], ['mul', 2], ['div', 2], ['pow', 1]];

let uid = 0;

/** Builds one node from an instruction, or returns null when it does not type (the instruction is skipped). */
function step(pool: Value[], ins: Instr, seed: number): Value | null {
  const pick = (i: number) => pool[i % pool.length]!;
  const x = pick(ins.a);
  const y = pick(ins.b);
  const r = x.type.shape.length;
  const last = x.type.shape[r - 1];
  switch (ins.op) {
    case 0:
      return apply(UNARY[ins.k % UNARY.length]!, [x]);
    case 1:
      return apply(BINARY[ins.k % BINARY.length]!, [x, y]);
    case 2: {
      const [op, c] = NEUTRAL[ins.k % NEUTRAL.length]!;
      return ins.b % 2 && op !== 'sub' && op !== 'div' && op !== 'pow' ? apply(op, [konst([c]), x]) : apply(op, [x, konst([c])]);
    }
    case 3:
      if (r === 0) return null;
      return apply(REDUCE[ins.k % REDUCE.length]!, [x], { axis: ins.b % r, keepdims: ins.k % 2 === 0 });
    case 4: {
      if (r < 2) return null;
      const perm = [...Array(r).keys()];
      for (let i = r - 1; i > 0; i--) {
        const j = (ins.k + i * 7) % (i + 1);
        [perm[i], perm[j]] = [perm[j]!, perm[i]!];
      }
      const t = apply('transpose', [x], { axes: perm });
      return ins.b % 2 ? apply('transpose', [t], { axes: ins.k % 2 ? null : perm }) : t;
    }
    case 5: {
      const flat = apply('reshape', [x], { shape: [-1] });
      return ins.k % 2 ? apply('reshapeLike', [flat, x]) : apply('reshape', [apply('expandDims', [flat], { axis: 0 })], { shape: [-1] });
    }
    case 6:
      return apply(ins.k % 2 ? 'broadcastLike' : 'reshapeLike', [apply('sum', [x], { axis: null, keepdims: false }), y].slice(0, 2).map((v, i) => (i === 0 && ins.k % 2 === 0 ? apply('reshape', [v], { shape: [1] }) : v)));
    case 7:
      return apply('dot', [x, y]);
    case 8: {
      if (typeof last !== 'number' || r < 1) return null;
      const h = 1 + (ins.k % 4);
      const fcOut = apply('FullyConnected', [x, param(`w${++uid}`, values(h * (r >= 2 ? x.type.shape.slice(1).reduce((p: number, d) => p * (d as number), 1) : last), seed), [h, r >= 2 ? x.type.shape.slice(1).reduce((p: number, d) => p * (d as number), 1) : last]), param(`b${uid}`, values(h, seed + 1), [h])], { numHidden: h });
      if (ins.b % 3 === 0) return apply('mul', [param(`s${uid}`, [0.5 + (ins.k % 3)], [1]), fcOut]);
      if (ins.b % 3 === 1) {
        const bn = [1.1, 0.1, -0.2, 1.7].map((v, i) => param(`bn${uid}_${i}`, Array(h).fill(v), [h]));
        return apply('BatchNorm', [fcOut, ...bn], { fixGamma: false, training: false, eps: 1e-3 });
      }
      return fcOut;
    }
    case 9: {
      // A repeat of an existing node (CSE finds it).
      const p = pick(ins.b).producer;
      if (!p || p.outputs.length !== 1) return null;
      return apply(p.op, p.inputs, p.attrs);
    }
    case 10:
      return ins.k % 2 ? apply('cast', [x], { dtype: 'float32' }) : apply('cast', [apply('cast', [x], { dtype: 'float64' })], { dtype: 'float32' });
    case 11: {
      if (r === 0 || typeof last !== 'number') return null;
      if (ins.k % 2) {
        const e = apply('erf', [apply('div', [x, konst([Math.SQRT2])])]);
        return apply('mul', [apply('mul', [x, konst([0.5])]), apply('add', [e, konst([1])])]);
      }
      const m = apply('mean', [x], { axis: -1, keepdims: true });
      const d = apply('sub', [x, m]);
      const v = apply('add', [apply('mean', [apply('square', [d])], { axis: -1, keepdims: true }), konst([1e-5])]);
      return apply('div', [d, apply('sqrt', [v])]);
    }
    case 12:
      // A constant subexpression (folded).
      return apply('add', [x, apply('exp', [konst([0.25 * (ins.k % 3)])])]);
    case 13:
      return apply('broadcastTo', [x], { shape: x.type.shape.map(() => 0) });
    case 14: {
      // An optimizer-like update of a matrix product: C·β ± dot(xᵀ, x)·s (fuse-gemm makes it one Gemm).
      if (r !== 2) return null;
      const prod = apply('dot', [x, x], { transposeA: true });
      const c = apply('dot', [x, apply('neg', [x])], { transposeA: true });
      const sc = ins.k % 3 === 0 ? konst([-0.5]) : ins.k % 3 === 1 ? param(`s${++uid}`, [0.25], [1]) : apply('sum', [y], { axis: null, keepdims: false });
      const scaled = ins.b % 2 ? apply('mul', [prod, sc]) : apply('mul', [sc, prod]);
      const acc = ins.k % 2 ? apply('mul', [c, konst([0.9])]) : c;
      const op = ins.b % 3 === 0 ? 'add' : 'sub';
      return ins.a % 2 ? apply(op, [acc, scaled]) : apply(op, [scaled, acc]);
    }
    case 15: {
      // An LSTM over x as [T, N, I] (else [size, 1, 1]) and its gradient (save-recurrent-activations rewrites the pair).
      if (!x.type.shape.every((d) => typeof d === 'number')) return null;
      const seq = r === 3 ? x : apply('reshape', [x], { shape: [-1, 1, 1] });
      const [, n, i] = seq.type.shape as number[];
      const h = 1 + (ins.k % 2);
      const direction = (['forward', 'reverse', 'bidirectional'] as const)[ins.b % 3]!;
      const d = direction === 'bidirectional' ? 2 : 1;
      const shapes = [[d, 4 * h, i!], [d, 4 * h, h], [d, 8 * h], [d, n!, h], [d, n!, h]];
      const ws = shapes.map((sh, j) => param(`lstm${++uid}_${j}`, values(sh.reduce((p, q) => p * q, 1), seed + j), sh));
      const lstm = apply('OnnxLSTM', [seq, ...ws], { direction }).producer!;
      const loss = apply('sum', [apply('mul', [lstm.outputs[0]!, lstm.outputs[0]!])], { axis: null, keepdims: false });
      const head = apply('add', [loss, apply('sum', [lstm.outputs[2]!], { axis: null, keepdims: false })]);
      return gradients([head], [ins.k % 3 ? x : ws[0]!], [konst([1])])[0];
    }
    case 16: {
      // A relu's gradient behind a max pooling's, as the autodiff writes it (gate-pool-grad):
      // mul(poolingGrad(relu(x), g), greater(x, 0)), NCW windows of 2 (stride 1 or 2) or global.
      if (r !== 3 || typeof last !== 'number' || last < 2) return null;
      const pool = ins.k % 2 ? { globalPool: true, poolType: 'max' } : { kernel: [2], stride: [1 + (ins.b % 2)], poolType: 'max' };
      const rl = ins.k % 4 < 2 ? apply('relu', [x]) : apply('Activation', [x], { actType: 'relu' });
      const g = apply('tanh', [apply('Pooling', [rl], pool)]);
      return apply('mul', [apply('poolingGrad', [rl, g], pool), apply('greater', [x, konst([0])])]);
    }
    case 18: {
      // A 1-D convolution and its weight gradient (convColumns; share-conv-columns makes the forward read them).
      if (r !== 3 || !x.type.shape.every((d) => typeof d === 'number') || (last as number) < 2) return null;
      const kernel = 1 + (ins.k % 2);
      const filters = 1 + (ins.b % 2);
      const w = param(`cw${++uid}`, values(filters * (x.type.shape[1] as number) * kernel, seed), [filters, x.type.shape[1] as number, kernel]);
      const conv = apply('Convolution', [x, w], { kernel: [kernel], pad: [ins.a % 2], numFilter: filters, noBias: true });
      return gradients([apply('sum', [apply('tanh', [conv])], { axis: null, keepdims: false })], [w], [konst([1])])[0];
    }
    case 19: {
      // Max pooling of example-last activations brought to NCW, with its gradient gated by the pooled relu
      // mask and read back example-last, as the step writes them after share-conv-columns and
      // gate-pool-grad (pool-example-last pools them in that layout).
      if (r !== 3 || typeof last !== 'number' || last < 2) return null;
      const z = apply('tanh', [apply('transpose', [x], { axes: [1, 2, 0] })]);
      const pool = { kernel: [2], stride: [1 + (ins.b % 2)], pad: [ins.a % 2], poolType: 'max' };
      const rl = ins.k % 2 ? apply('relu', [apply('transpose', [z], { axes: [2, 0, 1] })]) : apply('Activation', [apply('transpose', [z], { axes: [2, 0, 1] })], { actType: 'relu' });
      const y = apply('Pooling', [rl], pool);
      const h = apply('poolingGrad', [rl, apply('mul', [apply('exp', [y]), apply('greater', [y, konst([0])])])], pool);
      return apply('mul', [apply('transpose', [h], { axes: [1, 2, 0] }), z]);
    }
    default:
      // (op 17, and any other number)
      return apply('mul', [x, apply('onesLike', [x])]);
  }
}

/** The graph a random program builds over inputs of `shapes` (ill-typed instructions skipped), or null when it builds nothing. */
export function buildGraph(shapes: Shape[], prog: Instr[], seed: number): Graph | null {
  const inputs = shapes.map((s, i) => Value.input(`x${i}`, f32(s)));
  const pool: Value[] = [...inputs];
  for (const ins of prog) {
    try {
      const v = step(pool, ins, seed);
      if (v) pool.push(v);
    } catch {
      // ill-typed for these shapes: skipped
    }
  }
  const made = pool.slice(inputs.length);
  if (!made.length) return null;
  // Every value nothing else reads is an output (at most 4, the last ones), so little is dead.
  const read = new Set(made.flatMap((v) => v.producer?.inputs ?? []));
  const sinks = made.filter((v) => !read.has(v)).slice(-4);
  return Graph.fromOutputs(inputs, Object.fromEntries(sinks.map((v, i) => [`y${i}`, v])));
}

/** Random input shapes. */
export const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 });
/** The number of instruction families (`op` 0 .. INSTR_FAMILIES - 1; 17 is the default case, kept so the recorded regressions replay). */
export const INSTR_FAMILIES = 20;
/** Random instructions. */
export const instrArb = fc.record({ op: fc.nat(INSTR_FAMILIES - 1), a: fc.nat(99), b: fc.nat(99), k: fc.nat(99) });

