/**
 * `OnnxLoop`: ONNX's `Loop` whose trip count or condition is known only at
 * run time, as one operator whose lowering is an ONNX `Loop` running its
 * body: an IR graph (imported from another tool's file, see
 * compiler/onnx/read-loop.ts) kept in the `body` attribute as JSON
 * (`LoopBody`) and lowered node by node into the Loop's subgraph, so the
 * loop runs at any trip count and a re-export keeps it a Loop.
 * Inputs: [tripCount] (int64, when `tripCount`), [condition] (bool, when
 * `condition`), the loop-carried values, then the outer values the body
 * reads (`captured`). Outputs: the final loop-carried values, then each
 * scan output stacked along a new first axis (its length known only when
 * it runs); with `save` (training graphs: the pass
 * save-recurrent-activations sets it where the gradient is taken), also,
 * stacked the same way, each iteration's loop-carried inputs, its number
 * and the body values its gradient reads (`residuals`), for
 * `OnnxLoopGrad` to read (a carried value that grows as a list appended
 * to, `grows`, kept as its length: its value then is the first rows of
 * its final value, or the last ones, `front`; one whose first axis changes
 * otherwise, `ragged`, kept as its length too and computed again by the
 * gradient). Its gradient is one `OnnxLoopGrad`
 * node (loop-grad.ts: a reverse-time Loop of the body's gradient, which
 * compiler/autodiff registers); a body that cannot be differentiated is an
 * Error naming the ONNX node (`node`).
 * Invariants: `body.inputs` are the iteration number (int64 []), the
 * condition (bool []), the carried values and the captured ones, in that
 * order; `body.outputs` are the condition, the carried values and the scan
 * outputs; `outTypes` are the node's output types (without the saved ones).
 */
import { viewOf, type DType } from '../../runtime/dtypes.js';
import type { HostTensor } from '../../runtime/tensor.js';
import { Node, type Attrs, type AttrValue } from '../ir/node.js';
import { formatType, type Dim, type TensorType } from '../ir/types.js';
import { Value } from '../ir/value.js';
import { defineOp, type GradCtx, type LowerCtx, type OpDef, type Tx } from './define.js';
import type { GradOps, GradTensor } from './grad-ops.js';
import { OpError } from './errors.js';
import { opaque } from './index-ops.js';

/** A body value: `i<k>` its input k, `k<j>` constant j, `n<j>.<s>` output s of node j. */
export type BodyRef = string;

/** A loop body as JSON: an IR graph whose nodes are in topological order. */
export interface LoopBody {
  inputs: TensorType[];
  consts: { dtype: DType; shape: number[]; data: string }[];
  nodes: { op: string; attrs: Attrs; ins: BodyRef[]; outs: TensorType[]; scope?: string }[];
  outputs: BodyRef[];
}

/** Attributes of `OnnxLoop`. */
export type LoopA = Attrs & {
  body: AttrValue;
  nCarried: number;
  tripCount: boolean;
  condition: boolean;
  outTypes: AttrValue;
  node: string;
  save: boolean;
  residuals: AttrValue;
  grows: AttrValue;
  front: AttrValue;
  ragged: AttrValue;
};

type Sig = (...args: [...Tx[], LoopOptions]) => Tx[];

/** Options of `F.OnnxLoop` (the ONNX importer writes them). */
export interface LoopOptions {
  /** The body (`LoopBody`). */
  body: LoopBody;
  /** How many of the inputs after the trip count and condition are loop-carried (the rest are captured). */
  nCarried: number;
  /** True when the first input is the trip count. */
  tripCount?: boolean;
  /** True when the next input is the initial condition. */
  condition?: boolean;
  /** The output types: the carried values', then each scan output's. */
  outTypes: TensorType[];
  /** The ONNX node's name, for messages. */
  node?: string;
  /** Also output each iteration's loop-carried inputs, its number and the `residuals` (for the gradient). */
  save?: boolean;
  /** With `save`: the body values (`n<j>.<s>`) kept per iteration. */
  residuals?: BodyRef[];
  /**
   * Carried values that grow along their first axis, each iteration's a
   * prefix of the next (a list appended to: the importer checks the body
   * only concatenates rows after it): the gradient keeps each iteration's
   * length and slices the final value, instead of keeping the value.
   */
  grows?: number[];
  /** Those of `grows` that grow at the front instead (each iteration's value the last rows of the next). */
  front?: number[];
  /**
   * Carried values whose first axis changes otherwise (a list erased from or inserted into at a position): the
   * gradient keeps each iteration's length only, and computes the value again by running the loop that many times.
   */
  ragged?: number[];
}

/** A constant of a body as JSON (its bytes in base64). */
export function encodeTensor(t: HostTensor): LoopBody['consts'][number] {
  const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return { dtype: t.dtype, shape: [...t.shape], data: bytes.toString('base64') };
}

/** The tensor `encodeTensor` wrote. */
export function decodeTensor(c: LoopBody['consts'][number]): HostTensor {
  const bytes = Buffer.from(c.data, 'base64');
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const n = c.shape.reduce((p, d) => p * d, 1);
  return { dtype: c.dtype, shape: [...c.shape], data: viewOf(c.dtype, copy.buffer, 0, n) } as HostTensor;
}

/**
 * The IR graph computing `outputs` from `inputs` as a `LoopBody`: the nodes
 * `inside` accepts are the body's (in topological order), constants are
 * kept, and any other value is handed to `outside`, which makes it an input
 * after `inputs` (returning it) or throws.
 *
 * ```ts
 * const body = encodeBody(ins, outs, (n) => made.has(n), (v) => captured.push(v));
 * ```
 */
export function encodeBody(inputs: Value[], outputs: Value[], inside: (n: Node) => boolean, outside: (v: Value) => void): LoopBody {
  const refs = new Map<Value, string>();
  inputs.forEach((v, k) => refs.set(v, `i${k}`));
  const body: LoopBody = { inputs: inputs.map((v) => ({ dtype: v.type.dtype, shape: [...v.type.shape] })), consts: [], nodes: [], outputs: [] };
  const index = new Map<Node, number>();
  const visit = (v: Value): string => {
    let r = refs.get(v);
    if (r) return r;
    const node = v.producer;
    if (node && inside(node)) {
      let j = index.get(node);
      if (j === undefined) {
        const ins = node.inputs.map(visit);
        j = body.nodes.length;
        const outs = node.outputs.map((o) => ({ dtype: o.type.dtype, shape: [...o.type.shape] }));
        // The node's scope (an imported body node's ONNX node): the body's gradient errors name it.
        body.nodes.push(node.scope ? { op: node.op, attrs: node.attrs, ins, outs, scope: node.scope } : { op: node.op, attrs: node.attrs, ins, outs });
        index.set(node, j);
      }
      r = `n${j}.${v.index}`;
    } else if (v.isConst && v.data) {
      r = `k${body.consts.length}`;
      body.consts.push(encodeTensor(v.data));
    } else {
      outside(v);
      r = `i${body.inputs.length}`;
      body.inputs.push({ dtype: v.type.dtype, shape: [...v.type.shape] });
    }
    refs.set(v, r);
    return r;
  };
  body.outputs = outputs.map(visit);
  return body;
}

/** The IR of a `LoopBody`: fresh input values (named `i<k>`), its nodes and its output values. */
export function decodeBody(body: LoopBody): { inputs: Value[]; outputs: Value[]; nodes: Node[] } {
  const vals = new Map<BodyRef, Value>();
  const inputs = body.inputs.map((t, k) => Value.input(`i${k}`, t));
  inputs.forEach((v, k) => vals.set(`i${k}`, v));
  body.consts.forEach((t, k) => vals.set(`k${k}`, Value.constant(decodeTensor(t))));
  const get = (r: BodyRef): Value => {
    const v = vals.get(r);
    if (!v) throw new OpError('OnnxLoop', `its body refers to '${r}', which no earlier body value is`);
    return v;
  };
  const nodes = body.nodes.map((n, j) => {
    const node = Node.create(n.op, n.ins.map(get), n.attrs, n.outs, n.scope);
    node.outputs.forEach((o, s) => vals.set(`n${j}.${s}`, o));
    return node;
  });
  return { inputs, outputs: body.outputs.map(get), nodes };
}

/** The input layout: how many leading inputs are the trip count and condition. */
function lead(a: LoopA): number {
  return (a.tripCount ? 1 : 0) + (a.condition ? 1 : 0);
}

function sameRankDims(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => typeof d !== 'number' || typeof b[i] !== 'number' || d === b[i]);
}

function infer(types: TensorType[], a: LoopA): TensorType[] {
  const body = a.body as unknown as LoopBody;
  const outTypes = a.outTypes as unknown as TensorType[];
  const where = a.node ? ` (ONNX Loop node '${a.node}')` : '';
  if (!body || !Array.isArray(body.inputs) || !Array.isArray(body.nodes) || !Array.isArray(outTypes)) throw new OpError('OnnxLoop', `needs the options body and outTypes${where}`, types);
  const k = lead(a);
  const nCaptured = body.inputs.length - 2 - a.nCarried;
  if (!Number.isInteger(a.nCarried) || a.nCarried < 0 || nCaptured < 0 || types.length !== k + a.nCarried + nCaptured) {
    throw new OpError('OnnxLoop', `takes ${k} control input(s), ${a.nCarried} loop-carried and ${nCaptured} captured value(s) (${k + a.nCarried + Math.max(nCaptured, 0)} inputs), got ${types.length}${where}`, types);
  }
  if (a.tripCount && (types[0]!.dtype !== 'int64' || types[0]!.shape.length > 1)) throw new OpError('OnnxLoop', `the trip count must be one int64, got ${formatType(types[0]!)}${where}`, types);
  if (a.condition && (types[k - 1]!.dtype !== 'bool' || types[k - 1]!.shape.length > 1)) throw new OpError('OnnxLoop', `the condition must be one bool, got ${formatType(types[k - 1]!)}${where}`, types);
  types.slice(k).forEach((t, i) => {
    const want = body.inputs[2 + i]!;
    if (t.dtype !== want.dtype || !sameRankDims(t.shape, want.shape)) {
      throw new OpError('OnnxLoop', `input ${k + i} is ${formatType(t)}, but the body was read for ${formatType(want)}${where}`, types);
    }
  });
  if (outTypes.length !== body.outputs.length - 1) throw new OpError('OnnxLoop', `outTypes lists ${outTypes.length} type(s) for the body's ${body.outputs.length - 1} output(s) after the condition${where}`, types);
  // A named symbol of the body's inputs (a graph input's batch) that the inputs now give as a number (a block
  // specialized to its call's shapes) is that number in the outputs too; opaque dimensions (`(…)`) stay.
  const bound = new Map<Dim, Dim>();
  types.slice(k).forEach((t, i) => body.inputs[2 + i]!.shape.forEach((d, j) => {
    if (typeof d === 'string' && !d.startsWith('(') && typeof t.shape[j] === 'number') bound.set(d, t.shape[j]!);
  }));
  return [...outTypes, ...(a.save ? savedTypes(a) : [])].map((t) => ({ dtype: t.dtype, shape: t.shape.map((d) => bound.get(d) ?? d) }));
}

/** The type of body value `r` (`i<k>`, `k<j>` or `n<j>.<s>`). */
function refType(body: LoopBody, r: BodyRef): TensorType {
  const [j, s] = r.slice(1).split('.').map(Number) as [number, number | undefined];
  const t = r[0] === 'i' ? body.inputs[j] : r[0] === 'k' ? body.consts[j] : body.nodes[j]?.outs[s ?? 0];
  if (!t) throw new OpError('OnnxLoop', `its body refers to '${r}', which no body value is`);
  return t;
}

/** The types of what `save` adds: each loop-carried input, the iteration number and each residual, per iteration. */
function savedTypes(a: LoopA): TensorType[] {
  const body = a.body as unknown as LoopBody;
  const outTypes = a.outTypes as unknown as TensorType[];
  const iterations = outTypes[a.nCarried]?.shape[0] ?? opaque(`${a.node || 'loop'} iterations`);
  const grows = varyingRows(a);
  const carried = body.inputs.slice(2, 2 + a.nCarried).map((t, i): TensorType => (grows.includes(i) ? { dtype: 'int64', shape: [] } : t));
  const each = [...carried, { dtype: 'int64' as const, shape: [] }, ...((a.residuals ?? []) as BodyRef[]).map((r) => refType(body, r))];
  return each.map((t) => ({ dtype: t.dtype, shape: [iterations, ...t.shape] }));
}

/** The carried values whose first axis changes from one iteration to the next (`grows` and `ragged`): each kept as its length. */
export function varyingRows(a: LoopA): number[] {
  return [...((a.grows ?? []) as number[]), ...((a.ragged ?? []) as number[])];
}

/** How many outputs an `OnnxLoop` with these attributes has. */
function outputCount(a: LoopA): number {
  return Array.isArray(a.outTypes) ? a.outTypes.length + (a.save ? a.nCarried + 1 + ((a.residuals ?? []) as BodyRef[]).length : 0) : 1;
}

/**
 * Differentiates a body (compiler/autodiff registers it): given the body
 * and its number of carried values, the body computing, from the body's
 * inputs, then the gradients of its float carried and scan outputs, then
 * the forward body's values `residuals` (one iteration's), the gradients
 * of its float carried and captured inputs (zeros where none reaches).
 * `what` names the loop for errors.
 */
export type BodyGrad = (body: LoopBody, nCarried: number, what: string, grows?: number[]) => { body: LoopBody; residuals: BodyRef[] };

let bodyGrad: BodyGrad | null = null;

/** Registers the body differentiator (compiler/autodiff/loop-body.ts); returns the old one. */
export function setLoopBodyGrad(fn: BodyGrad | null): BodyGrad | null {
  const old = bodyGrad;
  bodyGrad = fn;
  return old;
}

/** Indices of the float entries of `types`. */
export function floatSlots(types: readonly TensorType[]): number[] {
  return types.flatMap((t, i) => (t.dtype.startsWith('float') ? [i] : []));
}

/**
 * The gradient: one `OnnxLoopGrad` node (loop-grad.ts: a reverse-time Loop
 * of the body's gradient over each iteration's saved values, which the
 * loop run again keeps, or, in training graphs, the forward Loop itself
 * with `save`). Float carried and captured inputs get gradients.
 */
function grad(F: GradOps, ctx: GradCtx, gOuts: (GradTensor | null)[]): (GradTensor | null)[] {
  const a = ctx.attrs as LoopA;
  const body = a.body as unknown as LoopBody;
  const what = `ONNX's Loop${a.node ? ` (node '${a.node}')` : ''}`;
  if (!bodyGrad) throw new OpError('OnnxLoop', `no body differentiator is registered (import compiler/autodiff) for the gradient of ${what}`);
  const k = lead(a);
  // A carried value whose shape changes (a list that grows) cannot be kept per iteration in a Loop's stacked outputs.
  // Such a dimension is opaque in the body (`(…)`, as compiler/onnx/read-loop.ts marks it); a named symbol (a graph
  // input's batch, say) is the same in every iteration, and the loop's inputs may have it specialized to a number.
  // One that grows along its first axis as a list appended to (`grows`) is kept as its length and sliced; one whose
  // first axis changes otherwise (`ragged`) is computed again.
  const grows = varyingRows(a);
  body.inputs.slice(2, 2 + a.nCarried).forEach((t, i) => {
    const first = ctx.inTypes[k + i]!;
    if (t.shape.some((d, j) => typeof d === 'string' && d.startsWith('(') && d !== first.shape[j] && !(j === 0 && grows.includes(i)))) {
      throw new OpError('OnnxLoop', `${what}: loop-carried value ${i} changes shape from one iteration to the next (${formatType(first)} at first, ${formatType(t)} in the body); its gradient needs each iteration's value, which a Loop's stacked outputs cannot hold`);
    }
  });
  const { body: gradBody, residuals } = bodyGrad(body, a.nCarried, what, grows);
  const outTypes = ctx.outTypes.slice(0, (a.outTypes as unknown as TensorType[]).length);
  const carriedF = floatSlots(outTypes.slice(0, a.nCarried));
  const scanF = floatSlots(outTypes.slice(a.nCarried)).map((j) => a.nCarried + j);
  const heads = [...carriedF, ...scanF].map((o) => gOuts[o] ?? F.zerosLike(ctx.outputs[o]!));
  const capturedF = floatSlots(ctx.inTypes.slice(k + a.nCarried)).map((i) => k + a.nCarried + i);
  const n = carriedF.length + capturedF.length;
  if (!n) return ctx.inputs.map(() => null);
  const res = F.OnnxLoopGrad(...ctx.inputs, ...heads, { ...a, save: false, residuals, gradBody, nGrads: n } as object);
  const list = Array.isArray(res) ? res : [res];
  const out: (GradTensor | null)[] = ctx.inputs.map(() => null);
  [...carriedF.map((i) => k + i), ...capturedF].forEach((slot, j) => (out[slot] = list[j]!));
  return out;
}

/** Lowers the body's nodes with `c` inside a subgraph whose inputs are `inputNames`; returns the output names. */
export function lowerBody(c: LowerCtx, body: LoopBody, inputNames: string[]): { name: string; type: TensorType }[] {
  const vals = new Map<BodyRef, { name: string; type: TensorType }>();
  body.inputs.forEach((t, k) => vals.set(`i${k}`, { name: inputNames[k]!, type: t }));
  const get = (r: BodyRef): { name: string; type: TensorType } => {
    let v = vals.get(r);
    if (!v && r.startsWith('k')) {
      const t = body.consts[Number(r.slice(1))];
      if (t) vals.set(r, (v = { name: c.constant(decodeTensor(t)), type: { dtype: t.dtype, shape: t.shape } }));
    }
    if (!v) throw new OpError('OnnxLoop', `its body refers to '${r}', which no earlier body value is`);
    return v;
  };
  body.nodes.forEach((n, j) => {
    const ins = n.ins.map(get);
    const outs = c.lowerOp(n.op, n.attrs, ins.map((v) => v.name), ins.map((v) => v.type), n.outs);
    outs.forEach((name, s) => vals.set(`n${j}.${s}`, { name, type: n.outs[s]! }));
  });
  return body.outputs.map(get);
}

/**
 * Emits the ONNX Loop of an `OnnxLoop` node whose inputs are `c.inputs`
 * (the first of `c.inTypes.length`), with `save` and `residuals` as given;
 * returns its outputs (`outputs`: their names, or how many). `trips` (an
 * int64 scalar's name): only that many first iterations, without the
 * condition input (the gradient's run again up to an iteration).
 */
export function emitLoop(c: LowerCtx, a: LoopA, save: boolean, residuals: BodyRef[], outputs: string[] | number, trips?: string): string[] {
  const body = a.body as unknown as LoopBody;
  const k = lead(a);
  const ins = c.inputs;
  const captured = ins.slice(k + a.nCarried, k + body.inputs.length - 2);
  const loopIns = body.inputs.slice(0, 2 + a.nCarried);
  const graph = c.graph(loopIns, (names) => {
    // With `save`: each iteration's carried inputs, number and residuals, as scan outputs.
    const kept = save ? [...residuals] : [];
    const outs = lowerBody(c, { ...body, outputs: [...body.outputs, ...kept] }, [...names, ...captured]).map((o) => ({ name: o.name, dtype: o.type.dtype, shape: o.type.shape }));
    const sv = (i: number) => ({ name: names[i]!, dtype: loopIns[i]!.dtype, shape: loopIns[i]!.shape });
    // A value whose first axis changes (`grows`, `ragged`) is kept as its length.
    const grows = varyingRows(a);
    const length = (i: number) => ({ name: c.emit('Gather', [c.emit('Shape', [names[2 + i]!])[0]!, c.scalar(0, 'int64')], { axis: 0 })[0]!, dtype: 'int64' as const, shape: [] });
    const nOut = body.outputs.length;
    return [...outs.slice(0, nOut), ...(save ? [...loopIns.slice(2).map((_t, i) => (grows.includes(i) ? length(i) : sv(2 + i))), sv(0)] : []), ...outs.slice(nOut)];
  });
  // ONNX's M and cond are scalars: a [1] one (as gluonc's readers may type it) is reshaped.
  const scalar = (i: number) => (c.inTypes[i]!.shape.length === 1 ? c.emit('Reshape', [ins[i]!, c.ints([])])[0]! : ins[i]!);
  // `trips`: the loop's first iterations only (each ran with its condition true).
  const trip = trips ?? (a.tripCount ? scalar(0) : '');
  const cond = a.condition && trips === undefined ? scalar(k - 1) : '';
  return c.emit('Loop', [trip, cond, ...ins.slice(k, k + a.nCarried)], { body: graph }, outputs);
}

function lower(c: LowerCtx, a: LoopA): void {
  emitLoop(c, a, a.save, (a.residuals ?? []) as BodyRef[], c.outputs);
}

/**
 * ONNX's `Loop` with its body (the ONNX importer builds it for a Loop whose
 * trip count or condition is known only at run time): inputs [tripCount],
 * [condition], the loop-carried values, the outer values the body reads;
 * outputs the final carried values and the stacked scan outputs.
 *
 * ```ts
 * const [final, steps] = F.OnnxLoop(m, x, { body, nCarried: 1, tripCount: true, outTypes });
 * ```
 */
export const OnnxLoop: OpDef<Sig, LoopA> = defineOp<Sig, LoopA>({
  name: 'OnnxLoop',
  inputs: ['...inputs'],
  attrs: { body: null, nCarried: 0, tripCount: false, condition: false, outTypes: null, node: '', save: false, residuals: [], grows: [], front: [], ragged: [] },
  multiOutput: outputCount,
  dataShape: true,
  infer,
  lower,
  grad,
} as never);

/** The operator by F name. */
export const LOOP_OPS = { OnnxLoop } as const;
