/**
 * ONNX control flow in other tools' files, read where it is decided when the
 * file is read: an `If` whose condition is known (a constant, or a shape
 * check folded over static shapes, as exporters write them) becomes the
 * branch taken, and one whose condition is computed at run time computes
 * both branches and selects their outputs with `where` (same types only);
 * a `Loop` whose trip count and conditions are known, and a `Scan` over
 * sequences of known length, are unrolled. The subgraphs' nodes are mapped
 * like the outer graph's (they see the outer names) through the reader's own
 * `read`. A Loop decided at run time becomes one `OnnxLoop` node, an ONNX
 * Loop running its imported body (read-loop.ts); a Scan over a length known
 * only at run time is refused by name. A node's graph attribute applied to
 * values (FlexAttention's score_mod and prob_mod) is inlined (`inlineGraph`).
 * Invariant: the values returned are the node's outputs, in order.
 */
import type { onnx as OnnxNs } from 'onnx-proto';
import { tensorFromNumbers, tensorToNumbers, zerosTensor, type HostTensor } from '../../runtime/tensor.js';
import { formatType, isConcrete } from '../ir/types.js';
import { Value } from '../ir/value.js';
import { dimTag } from '../ops/call.js';
import { mulDims, sameDim } from '../ops/dims.js';
import { LOOP_UNROLL_MAX, normAxis, type ImportCtx } from './import/context.js';
import { readDType } from './proto.js';
import { mapRuntimeLoop, type OpenScope, type ReadNode } from './read-loop.js';
import { sameItemShape, type SequenceValue } from './read-sequence.js';

export type { OpenScope, ReadNode } from './read-loop.js';

export { LOOP_UNROLL_MAX };

/** What the reader lends the control-flow mappers: its name tables and initializer decoding. */
export interface ControlCtx {
  readonly values: Map<string, Value>;
  readonly sequences: Map<string, SequenceValue>;
  resolve(name: string, user: string): Value;
  tensorData(t: OnnxNs.ITensorProto, where: string): HostTensor;
}

/** A value control flow passes on: a tensor, or a sequence (an empty optional too: read-boundary.ts). */
export type Passed = Value | SequenceValue;

const isSequence = (x: Passed): x is SequenceValue => !(x instanceof Value);

/** The tensor or sequence named `name` in `c`. */
function get(c: ControlCtx, name: string, user: string): Passed {
  return c.sequences.get(name) ?? c.resolve(name, user);
}

/** Binds `name` in `c` to a tensor or a sequence. */
function bind(c: ControlCtx, name: string, x: Passed): void {
  if (isSequence(x)) c.sequences.set(name, x);
  else c.values.set(name, x);
}


/**
 * `If` with a condition known when the file is read: the outputs of the branch taken.
 *
 * ```ts
 * const outs = mapIf(node, 'if0', ctx, reader, (m, sub) => readForeign(m, sub, opset, reader));
 * ```
 */
export function mapIf(n: OnnxNs.INodeProto, label: string, ctx: ImportCtx, c: ControlCtx, read: ReadNode): Passed[] {
  if (!ctx.data(0)) return selectBranches(n, label, ctx, c, read);
  const flag = known(ctx, 0, 0, 'its condition');
  const which = flag ? 'then_branch' : 'else_branch';
  const g = subgraph(n, which, ctx);
  constants(g, `${label} (If ${which})`, ctx, c);
  readGraph(g, `${label}/${which}`, read);
  const outs = g.output ?? [];
  const names = n.output ?? [];
  if (outs.length !== names.length) throw ctx.refuse(`its ${which} has ${outs.length} output(s) for the node's ${names.length}`);
  return outs.map((o, k) => get(c, o.name ?? '', `node '${label}' (If ${which} output ${k})`));
}

/**
 * The rows of `a` where `cond` holds, else those of `b` (two sequences of run-time length whose items have one
 * shape, held stacked, of lengths that may differ: a branch that erases or inserts): rows off..off + L of [a; b].
 */
function pickRows(ctx: ImportCtx, cond: Value, a: Value, b: Value): Value {
  const len = (x: Value) => ctx.op('reshape', [ctx.op('shapeArray', [x], { axis: 0 })], { shape: [] });
  const [la, lb] = [len(a), len(b)];
  const rows = ctx.op('arange', [ctx.op('where', [cond, la, lb])], { start: 0, stop: { input: 0, tag: dimTag() }, step: 1, dtype: 'int64' });
  const off = ctx.op('where', [cond, ctx.scalar(0, 'int64'), la]);
  return ctx.op('take', [ctx.op('concat', [a, b], { dim: 0 }), ctx.op('add', [rows, off])], { axis: 0 });
}

/**
 * `If` whose condition is computed at run time: both branches are read and
 * computed, and `where(cond, then, else)` selects each output (ONNX
 * subgraphs have no side effects). Refused, naming the branch, when a branch
 * does not import, or when the branches' outputs differ in dtype or shape.
 */
function selectBranches(n: OnnxNs.INodeProto, label: string, ctx: ImportCtx, c: ControlCtx, read: ReadNode): Passed[] {
  const why = 'its condition is computed at run time, so both branches are computed and the condition selects between them';
  let cond = ctx.input(0);
  if (cond.type.dtype !== 'bool' || mulDims(cond.type.shape) !== 1) throw ctx.refuse(`its condition is ${formatType(cond.type)} (ONNX: one bool)`);
  if (cond.type.shape.length) cond = ctx.op('reshape', [cond], { shape: [] });
  const names = n.output ?? [];
  const [thenOuts, elseOuts] = (['then_branch', 'else_branch'] as const).map((which) => {
    const g = subgraph(n, which, ctx);
    const outs = g.output ?? [];
    if (outs.length !== names.length) throw ctx.refuse(`its ${which} has ${outs.length} output(s) for the node's ${names.length}`);
    try {
      constants(g, `${label} (If ${which})`, ctx, c);
      readGraph(g, `${label}/${which}`, read);
      return outs.map((o, k) => get(c, o.name ?? '', `node '${label}' (If ${which} output ${k})`));
    } catch (e) {
      throw ctx.refuse(`${why}, but its ${which} does not import: ${(e as Error).message.replace(/^readModel: (model bytes|'[^']*'): /, '')}`);
    }
  }) as [Passed[], Passed[]];
  const pick = (a: Value, b: Value, k: number): Value => {
    const same = a.type.dtype === b.type.dtype && a.type.shape.length === b.type.shape.length && a.type.shape.every((d, i) => sameDim(d, b.type.shape[i]!));
    if (!same) throw ctx.refuse(`${why}, which needs one type per output, but output ${k} is ${formatType(a.type)} in the then_branch and ${formatType(b.type)} in the else_branch`);
    return ctx.op('where', [cond, a, b]);
  };
  // Sequences of one length are selected item by item; a structure that differs must be known when the file is read.
  const shown = (x: Passed) => (!isSequence(x) ? 'a tensor' : x.absent ? 'an empty optional' : x.stacked ? 'a sequence whose length is known only when it runs' : `a sequence of ${x.items.length}`);
  return thenOuts.map((a, k) => {
    const b = elseOuts[k]!;
    if (!isSequence(a) && !isSequence(b)) return pick(a, b, k);
    // Sequences of run-time length: their stacked items, which must have one type.
    if (isSequence(a) && isSequence(b) && a.stacked && b.stacked) {
      const [sa, sb] = [a.stacked, b.stacked];
      const rows = !sameDim(sa.type.shape[0]!, sb.type.shape[0]!) && sa.type.dtype === sb.type.dtype && sameItemShape(sa.type.shape.slice(1), sb.type.shape.slice(1));
      return { dtype: a.dtype, items: [], stacked: rows ? pickRows(ctx, cond, sa, sb) : pick(sa, sb, k), origin: a.origin };
    }
    // A list a Loop body reads near its ends (its `tail`): the same list in both branches, this iteration's items picked.
    const tails = isSequence(a) && isSequence(b) && (a.tail || b.tail);
    if (tails && a.tail !== b.tail) throw ctx.refuse(`its output ${k} is a list a Loop body reads as its last items in one branch and another sequence in the other`);
    if (isSequence(a) && isSequence(b) && !a.stacked && !b.stacked && !!a.absent === !!b.absent && a.items.length === b.items.length && a.dtype === b.dtype) {
      return { dtype: a.dtype, items: a.items.map((v, i) => pick(v, b.items[i]!, k)), ...(a.absent ? { absent: true } : {}), ...(a.tail ? { tail: a.tail } : {}) };
    }
    throw ctx.refuse(`its output ${k} is ${shown(a)} in the then_branch and ${shown(b)} in the else_branch: a sequence's length and an optional's presence must be known when the file is read, but its condition ('${n.input?.[0]}') is computed at run time`);
  });
}

/**
 * `Loop` with a trip count and conditions known when the file is read,
 * unrolled: the final loop-carried values, then each scan output stacked
 * along a new first axis. One whose trip count or condition is known only
 * at run time (or that runs more than `LOOP_UNROLL_MAX` iterations) becomes
 * an `OnnxLoop` node that runs as an ONNX Loop (read-loop.ts).
 *
 * ```ts
 * const outs = mapLoop(node, 'loop0', ctx, reader, (m, sub) => readForeign(m, sub, opset, reader), open);
 * ```
 */
export function mapLoop(n: OnnxNs.INodeProto, label: string, ctx: ImportCtx, c: ControlCtx, read: ReadNode, open?: OpenScope): Passed[] {
  const body = subgraph(n, 'body', ctx);
  const nCarried = ctx.nInputs - 2;
  const bodyIn = body.input ?? [];
  const bodyOut = body.output ?? [];
  if (nCarried < 0 || bodyIn.length !== nCarried + 2 || bodyOut.length < nCarried + 1) {
    throw ctx.refuse(`its body takes ${bodyIn.length} input(s) and gives ${bodyOut.length} output(s) for ${Math.max(nCarried, 0)} loop-carried value(s) (ONNX: 2 + N inputs, 1 + N + K outputs)`);
  }
  const nScan = bodyOut.length - 1 - nCarried;
  if ((n.output ?? []).length > nCarried + nScan) throw ctx.refuse(`it has ${(n.output ?? []).length} outputs for ${nCarried} loop-carried and ${nScan} scan output(s)`);
  const passed = Array.from({ length: nCarried }, (_v, i) => get(c, n.input![i + 2]!, `node '${label}'`));
  const runtime = (reason: string): Passed[] => {
    // The trip count or condition named: what a caller could fix to unroll it.
    const why = reason.replace(/^its (trip count M|condition) is/, (_m, w: string) => `its ${w} ('${n.input![w === 'condition' ? 1 : 0]}') is`);
    if (!open) throw ctx.refuse(`${why} (a Loop decided at run time is read only where the reader opens scopes)`);
    return mapRuntimeLoop(n, label, ctx, body, open, why, passed);
  };
  if (!ctx.has(0)) return runtime('it has no trip count M');
  if (!ctx.data(0)) return runtime('its trip count M is computed at run time');
  if (ctx.has(1) && !ctx.data(1)) return runtime('its condition is computed at run time');
  const trips = known(ctx, 0, Number.NaN, 'its trip count M');
  if (!Number.isInteger(trips) || trips < 0) throw ctx.refuse(`its trip count M is ${trips}`);
  let go = ctx.has(1) ? Boolean(known(ctx, 1, 1, 'its condition')) : true;
  if (go && trips > LOOP_UNROLL_MAX) return runtime(`its trip count ${trips} is above the ${LOOP_UNROLL_MAX} iterations gluonc unrolls`);
  let carried = passed;
  const scans: Value[][] = Array.from({ length: nScan }, () => []);
  // Unrolled in a scope of its own: its names stay there, and a fallback to the run-time form drops what it made.
  const scope = open?.([]);
  const u: ControlCtx = scope ?? c;
  const readU: ReadNode = scope ? scope.read : read;
  const fallback = (why: string): Passed[] => {
    for (const node of scope?.made ?? []) node.detach();
    return runtime(why);
  };
  constants(body, `${label} (Loop body)`, ctx, u);
  let k = 0;
  for (; k < trips && go; k++) {
    u.values.set(bodyIn[0]!.name ?? '', Value.constant(tensorFromNumbers('int64', [], [k])));
    u.values.set(bodyIn[1]!.name ?? '', Value.constant(tensorFromNumbers('bool', [], [1])));
    carried.forEach((v, i) => bind(u, bodyIn[i + 2]!.name ?? '', v));
    readGraph(body, `${label}/body@${k}`, readU);
    const out = bodyOut.map((o, j) => get(u, o.name ?? '', `node '${label}' (Loop body output ${j})`));
    const cond = out[0]!;
    if (isSequence(cond)) throw ctx.refuse(`its body's condition output '${bodyOut[0]!.name}' is a sequence`);
    if (!cond.isConst || !cond.data) return fallback(`its body's condition output '${bodyOut[0]!.name}' is computed at run time`);
    go = Boolean(tensorToNumbers(cond.data)[0]);
    carried = out.slice(1, 1 + nCarried);
    out.slice(1 + nCarried).forEach((v, j) => {
      if (isSequence(v)) throw ctx.refuse(`its scan output ${j} ('${bodyOut[1 + nCarried + j]!.name}') is a sequence (ONNX: scan outputs are tensors)`);
      scans[j]!.push(v);
    });
  }
  if (k === 0 && nScan > 0) throw ctx.refuse('it runs 0 iterations and has scan outputs, whose shape only an iteration would give');
  return [...carried, ...scans.map((s) => ctx.op('stack', s, { axis: 0 }))];
}

/**
 * `Scan` (opset 9 and later; opset 8's batched form by `mapScan8`) over scan inputs whose scanned axes have a
 * known length, unrolled: the final states, then each scan output stacked
 * along its axis (both in the directions the attributes give).
 *
 * ```ts
 * const outs = mapScan(node, 'scan0', ctx, reader, (m, sub) => readForeign(m, sub, opset, reader));
 * ```
 */
export function mapScan(n: OnnxNs.INodeProto, label: string, ctx: ImportCtx, c: ControlCtx, read: ReadNode): Value[] {
  if (ctx.opset < 9) return mapScan8(n, label, ctx, c, read);
  const nScanIn = ctx.attr.int('num_scan_inputs', 0);
  const nState = ctx.nInputs - nScanIn;
  if (nScanIn < 1 || nState < 0) throw ctx.refuse(`num_scan_inputs ${nScanIn} for ${ctx.nInputs} input(s)`);
  const body = subgraph(n, 'body', ctx);
  const nScanOut = (body.output ?? []).length - nState;
  const list = (name: string, len: number): number[] => {
    const v = ctx.attr.ints(name) ?? new Array<number>(len).fill(0);
    if (v.length !== len) throw ctx.refuse(`${name} lists ${v.length} value(s) for ${len}`);
    return v;
  };
  const dirs = { inDirs: list('scan_input_directions', nScanIn), inAxes: list('scan_input_axes', nScanIn), outDirs: list('scan_output_directions', Math.max(nScanOut, 0)), outAxes: list('scan_output_axes', Math.max(nScanOut, 0)) };
  const states = Array.from({ length: nState }, (_v, i) => ctx.input(i));
  const xs = Array.from({ length: nScanIn }, (_v, j) => ctx.input(nState + j));
  return unrollScan(body, label, ctx, c, read, states, xs, dirs);
}

/**
 * Opset 8's `Scan`: every input has a batch axis first (scan inputs then
 * their sequence axis), `sequence_lens` first, `directions` for the scan
 * inputs. Each batch element is opset 9's Scan over its slice (sequence
 * axis 0, outputs forward), and the results are stacked along the batch
 * axis. A sequence shorter than the axis (`sequence_lens`, constant) scans
 * its first steps; its scan outputs are padded with zeros.
 */
function mapScan8(n: OnnxNs.INodeProto, label: string, ctx: ImportCtx, c: ControlCtx, read: ReadNode): Value[] {
  const nScanIn = ctx.attr.int('num_scan_inputs', 0);
  const nState = ctx.nInputs - 1 - nScanIn;
  if (nScanIn < 1 || nState < 0) throw ctx.refuse(`num_scan_inputs ${nScanIn} for ${ctx.nInputs} input(s) (opset 8: sequence_lens, states, scan inputs)`);
  const body = subgraph(n, 'body', ctx);
  const nScanOut = (body.output ?? []).length - nState;
  const states = Array.from({ length: nState }, (_v, i) => ctx.input(1 + i));
  const xs = Array.from({ length: nScanIn }, (_v, j) => ctx.input(1 + nState + j));
  const batch = [...states, ...xs][0]!.type.shape[0];
  const steps = xs[0]!.type.shape[1];
  if (typeof batch !== 'number' || [...states, ...xs].some((v) => v.type.shape[0] !== batch)) throw ctx.refuse(`opset 8's batch axis must have one length known when the file is read, got ${[...states, ...xs].map((v) => v.type.shape[0]).join(', ')}`);
  if (typeof steps !== 'number') throw ctx.refuse(`opset 8's sequence axis must have a length known when the file is read, got ${String(steps)}`);
  let lens = new Array<number>(batch).fill(steps);
  if (ctx.has(0)) {
    const t = ctx.data(0);
    if (!t) throw ctx.refuse('its sequence_lens are computed at run time');
    lens = tensorToNumbers(t);
    if (lens.length !== batch || lens.some((l) => !Number.isInteger(l) || l < 1 || l > steps)) throw ctx.refuse(`its sequence_lens [${lens.join(', ')}] must give each of the ${batch} sequences a length in [1, ${steps}]`);
  }
  const inDirs = ctx.attr.ints('directions') ?? new Array<number>(nScanIn).fill(0);
  if (inDirs.length !== nScanIn) throw ctx.refuse(`directions lists ${inDirs.length} value(s) for ${nScanIn}`);
  const dirs = { inDirs, inAxes: inDirs.map(() => 0), outDirs: new Array<number>(Math.max(nScanOut, 0)).fill(0), outAxes: new Array<number>(Math.max(nScanOut, 0)).fill(0) };
  // A shorter sequence scans its first lens[b] steps (reverse ones within them); its scan outputs are padded with zeros.
  const per = Array.from({ length: batch }, (_v, b) => {
    const at = Value.constant(tensorFromNumbers('int64', [], [b]));
    const pick = (v: Value) => ctx.op('take', [v, at], { axis: 0 });
    const within = (v: Value) => (lens[b] === steps ? v : ctx.op('sliceAxis', [v], { axis: 0, begin: 0, end: lens[b]! }));
    const outs = unrollScan(body, `${label}[${b}]`, ctx, c, read, states.map(pick), xs.map((x) => within(pick(x))), dirs);
    return outs.map((o, k) => {
      if (k < nState || lens[b] === steps) return o;
      const rest = o.type.shape.slice(1);
      if (!isConcrete(rest)) throw ctx.refuse(`a scan output of shape [${o.type.shape.join(', ')}] for a sequence shorter than ${steps} (the zero padding needs its size)`);
      return ctx.op('concat', [o, ctx.constant(zerosTensor(o.type.dtype, [steps - lens[b]!, ...rest]))], { dim: 0 });
    });
  });
  return per[0]!.map((_v, k) => ctx.op('stack', per.map((outs) => outs[k]!), { axis: 0 }));
}

/** Opset 9's Scan unrolled over `states` and scan inputs `xs` (see `mapScan`). */
function unrollScan(body: OnnxNs.IGraphProto, label: string, ctx: ImportCtx, c: ControlCtx, read: ReadNode, init: Value[], xs: Value[], d: { inDirs: number[]; inAxes: number[]; outDirs: number[]; outAxes: number[] }): Value[] {
  const nState = init.length;
  const bodyIn = body.input ?? [];
  const bodyOut = body.output ?? [];
  if (bodyIn.length !== nState + xs.length || bodyOut.length < nState) throw ctx.refuse(`its body takes ${bodyIn.length} input(s) and gives ${bodyOut.length} output(s) for ${nState} state(s) and ${xs.length} scan input(s)`);
  const nScanOut = bodyOut.length - nState;
  let states = init;
  const axes = xs.map((x, j) => normAxis(ctx, d.inAxes[j]!, x.type.shape.length, `scan_input_axes[${j}]`));
  const lens = xs.map((x, j) => x.type.shape[axes[j]!]!);
  const steps = lens[0]!;
  if (typeof steps !== 'number' || lens.some((l) => l !== steps)) {
    throw ctx.refuse(`its scanned axes have lengths ${lens.join(', ')}: a Scan is unrolled only over one length known when the file is read`);
  }
  if (steps > LOOP_UNROLL_MAX) throw ctx.refuse(`its sequence length ${steps} is above the ${LOOP_UNROLL_MAX} iterations gluonc unrolls`);
  if (steps === 0 && nScanOut > 0) throw ctx.refuse('it scans 0 steps and has scan outputs, whose shape only a step would give');
  constants(body, `${label} (Scan body)`, ctx, c);
  const scans: Value[][] = Array.from({ length: nScanOut }, () => []);
  for (let t = 0; t < steps; t++) {
    states.forEach((v, i) => c.values.set(bodyIn[i]!.name ?? '', v));
    xs.forEach((x, j) => {
      const at = Value.constant(tensorFromNumbers('int64', [], [d.inDirs[j] ? steps - 1 - t : t]));
      c.values.set(bodyIn[nState + j]!.name ?? '', ctx.op('take', [x, at], { axis: axes[j]! }));
    });
    readGraph(body, `${label}/body@${t}`, read);
    const out = bodyOut.map((o, j) => c.resolve(o.name ?? '', `node '${label}' (Scan body output ${j})`));
    states = out.slice(0, nState);
    out.slice(nState).forEach((v, k) => scans[k]!.push(v));
  }
  return [
    ...states,
    ...scans.map((s, k) => {
      const axis = normAxis(ctx, d.outAxes[k]!, s[0]!.type.shape.length + 1, `scan_output_axes[${k}]`);
      return ctx.op('stack', d.outDirs[k] ? [...s].reverse() : s, { axis });
    }),
  ];
}

/**
 * A node's graph attribute applied to values, inlined (a modifier subgraph,
 * as FlexAttention's `score_mod`): its inputs bound to `ins` in a scope of its
 * own (its nodes see the outer names), its initializers as constants, its
 * nodes mapped like the outer graph's; its outputs. An input whose declared
 * element type differs from the value's is refused, naming the attribute.
 *
 * ```ts
 * const [s2] = inlineGraph(g, 'scores0/score_mod', [scores], open, refuse);
 * ```
 */
export function inlineGraph(g: OnnxNs.IGraphProto, where: string, ins: Value[], open: OpenScope, refuse: (why: string) => Error): Value[] {
  const what = where.slice(where.lastIndexOf('/') + 1);
  const bodyIn = g.input ?? [];
  if (bodyIn.length !== ins.length) throw refuse(`its ${what} takes ${bodyIn.length} input(s) for ${ins.length}`);
  bodyIn.forEach((vi, i) => {
    const code = vi.type?.tensorType?.elemType;
    if (!code) return;
    let declared: string;
    try {
      declared = readDType(code);
    } catch (e) {
      throw refuse(`its ${what}'s input '${vi.name}': ${(e as Error).message}`);
    }
    if (declared !== ins[i]!.type.dtype) throw refuse(`its ${what} declares input '${vi.name}' as ${declared}, but it gets ${formatType(ins[i]!.type)}`);
  });
  const scope = open([]);
  ins.forEach((v, i) => scope.values.set(bodyIn[i]!.name ?? '', v));
  for (const t of g.initializer ?? []) {
    if (!t.name) throw refuse(`an initializer of its ${what} has no name`);
    scope.values.set(t.name, Value.constant(scope.tensorData(t, `initializer '${t.name}' of ${where}`)));
  }
  try {
    readGraph(g, where, scope.read);
    return (g.output ?? []).map((o, j) => scope.resolve(o.name ?? '', `${where} output ${j}`));
  } catch (e) {
    for (const node of scope.made) node.detach();
    throw refuse(`its ${what} does not import: ${(e as Error).message.replace(/^readModel: (model bytes|'[^']*'): /, '')}`);
  }
}

/** Input `i` as a known scalar (its one element), or a refusal naming `what` as computed at run time. */
function known(ctx: ImportCtx, i: number, absent: number, what: string): number {
  if (!ctx.has(i)) return absent;
  const t = ctx.data(i);
  if (!t) throw ctx.refuse(`${what} is computed at run time (control flow is read only where it is decided when the file is read: from constants or static shapes)`);
  const v = tensorToNumbers(t);
  if (v.length !== 1) throw ctx.refuse(`${what} has ${v.length} elements (ONNX requires one)`);
  return v[0]!;
}

/** Maps every node of a subgraph, each labelled `<where>/<its name or #index>`. */
function readGraph(g: OnnxNs.IGraphProto, where: string, read: ReadNode): void {
  (g.node ?? []).forEach((m, i) => read(m, `${where}/${m.name || `#${i}`}`));
}

/** The graph attribute `name` of the node, or a refusal. */
function subgraph(n: OnnxNs.INodeProto, name: string, ctx: ImportCtx): OnnxNs.IGraphProto {
  const g = (n.attribute ?? []).find((a) => a.name === name)?.g;
  if (!g) throw ctx.refuse(`it has no ${name}`);
  return g;
}

/** A subgraph's own initializers, as constants under their names. */
function constants(g: OnnxNs.IGraphProto, where: string, ctx: ImportCtx, c: ControlCtx): void {
  for (const t of g.initializer ?? []) {
    if (!t.name) throw ctx.refuse(`an initializer of ${where} has no name`);
    c.values.set(t.name, Value.constant(c.tensorData(t, `initializer '${t.name}' of node ${where}`)));
  }
}
