/**
 * Zeros whose size MXNet infers: a recurrent cell's begin state in MXNet's
 * symbol files. MXNet 1.x's `RecurrentCell.unroll` and `begin_state`
 * (python/mxnet/gluon/rnn/rnn_cell.py, `_get_begin_state`: `begin_state(
 * func=symbol.zeros, batch_size=0)`) write each state as `_zeros` named
 * `<prefix>begin_state_<k>`, with `state_info`'s `shape (0, hidden)` and
 * `__layout__ 'NC'`: the 0 is unknown (src/operator/tensor/init_op.h,
 * `InitShape`) and MXNet's shape inference fills it in backwards from the
 * operators that read the state, which the cells' steps provide:
 * `FullyConnected` sets its data's axis 0 from its output's
 * (src/operator/nn/fully_connected.cc, `FullyConnectedShape`: `dshape[0] =
 * oshape[0]`), `SliceChannel` back-calculates its input from its outputs
 * (src/operator/slice_channel-inl.h), and the elementwise operators
 * (`elemwise_add`, `_mul`, `sigmoid`, `_mul_scalar`, ...: `ElemwiseShape`,
 * src/operator/elemwise_op_common.h) give every input and output one shape,
 * so `elemwise_add(i2h, h2h)` sizes the state from the data.
 * `export(path, { format: 'mxnet' })` writes zeros whose size is read from a
 * traced input (a cell's `beginState(x.shape[0])` exported with a symbolic
 * batch) in that form, and `SymbolBlock.imports` runs it: such zeros are
 * made with a 1 at each unknown axis and, until an elementwise operator
 * meets a tensor that has the axis, every value computed from them is
 * constant along it, so broadcasting there gives MXNet's numbers.
 * `deferredAxes` is the one rule both use: the axes still unknown after a
 * node, or an Error where MXNet's inference does not reach them.
 */
import type { MxnetNode } from './mxnet-symbol-file.js';
import { parseMxnetAttr } from './mxnet-symbol-file.js';
import { MXNET_OPS, readMxnetOp } from './mxnet-ops.js';

/** gluonc's operators that MXNet registers with `ElemwiseShape<1, 1>` (the unary math, `Activation`, `Cast`, `BlockGrad`, `zeros_like`). */
const UNARY = new Set(['neg', 'abs', 'sign', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'sin', 'cos', 'arcsin', 'arccos', 'arctan', 'tanh', 'sigmoid', 'relu', 'erf', 'floor', 'ceil', 'clip', 'cast', 'zerosLike', 'onesLike', 'stopGradient', 'Activation']);
/** gluonc's binary arithmetic whose equal-shape MXNet forms (`elemwise_add`, `_mul`, `_maximum`) use `ElemwiseShape<2, 1>`. */
const BINARY = new Set(['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum']);

/**
 * The unknown axes of an MXNet `_zeros` / `zeros` node (those its shape gives
 * as 0), or undefined for any other node or a shape without a 0.
 * Example: `deferredZerosAxes({ op: '_zeros', attrs: { shape: '(0, 4)' }, ... })` is `[0]`.
 */
export function deferredZerosAxes(node: Pick<MxnetNode, 'op' | 'attrs'>): number[] | undefined {
  if (node.op !== '_zeros' && node.op !== 'zeros') return undefined;
  const s = parseMxnetAttr(node.attrs.shape ?? '()');
  if (!Array.isArray(s)) return undefined;
  const axes = s.flatMap((d, i) => (d === 0 ? [i] : []));
  return axes.length ? axes : undefined;
}

/**
 * The axes still unknown in the outputs of `node` (the same for each), from
 * those of its inputs (`ins[k].pending`, with their shapes, a 1 or any size
 * at a pending axis), by MXNet's shape
 * inference (see the module comment); throws an Error saying why where MXNet
 * does not infer them through this operator. `RNN` reading such zeros as its
 * begin state is its caller's case (the fused operator sizes them).
 *
 * ```ts
 * deferredAxes({ op: 'FullyConnected', attrs: {} }, [{ pending: [0], shape: [1, 4] }, { pending: [], shape: [16, 4] }]); // [0]
 * deferredAxes({ op: 'elemwise_add', attrs: {} }, [{ pending: [], shape: [3, 16] }, { pending: [0], shape: [1, 16] }]);  // []
 * ```
 */
export function deferredAxes(node: Pick<MxnetNode, 'op' | 'attrs'>, ins: readonly { pending: readonly number[]; shape: readonly (number | string)[] }[]): number[] {
  const { op } = node;
  if (ins.every((i) => i.pending.length === 0)) return [];
  const read = readMxnetOp(op);
  const target = read?.op;
  const refuse = (why: string): never => {
    throw new Error(`MXNet's shape inference does not carry an unknown size through '${op}': ${why}`);
  };
  const first = ins[0]!;
  if (op === '_copy' || op === 'identity' || (target && (UNARY.has(target) || read?.scalar))) return [...first.pending];
  if (op === 'add_n' || op === 'ElementWiseSum' || (target && BINARY.has(target))) {
    const rank = first.shape.length;
    if (ins.some((i) => i.shape.length !== rank)) refuse(`its inputs differ in rank (${ins.map((i) => `[${i.shape.join(', ')}]`).join(', ')})`);
    for (let a = 0; a < rank; a++) {
      const known = new Set(ins.filter((i) => !i.pending.includes(a)).map((i) => String(i.shape[a])));
      if (known.size > 1) refuse(`its inputs differ at axis ${a} (${ins.map((i) => `[${i.shape.map((d, k) => (i.pending.includes(k) ? 0 : d)).join(', ')}]`).join(', ')}, 0 unknown)`);
    }
    const broadcast = target && MXNET_OPS[target]?.broadcast === op;
    const common = first.pending.filter((a) => ins.every((i) => i.pending.includes(a)));
    if (broadcast && ins.some((i) => i.pending.some((a) => !common.includes(a)))) refuse('a broadcasting operator does not infer an input from the other (an equal-shape elemwise_* would)');
    return common;
  }
  if (target === 'FullyConnected') {
    if (ins.slice(1).some((i) => i.pending.length)) refuse('its weight or bias has an unknown size');
    if (first.pending.some((a) => a !== 0)) refuse(`only the data's axis 0 is set from the output (axes ${first.pending.join(', ')} unknown)`);
    return [0];
  }
  if (target === 'split') {
    const at = (k: string, d: unknown) => (node.attrs[k] === undefined ? d : parseMxnetAttr(node.attrs[k]!));
    const raw = at('axis', 1);
    if (typeof raw !== 'number') refuse(`attribute 'axis' is ${JSON.stringify(node.attrs.axis)}`);
    const axis = (raw as number) < 0 ? (raw as number) + first.shape.length : (raw as number);
    if (first.pending.includes(axis)) refuse(`it splits the unknown axis ${axis}`);
    const squeeze = at('squeeze_axis', false) === true || at('squeeze_axis', false) === 1;
    return first.pending.map((a) => (squeeze && a > axis ? a - 1 : a));
  }
  return refuse('gluonc follows MXNet\'s inference only through FullyConnected\'s data, SliceChannel and the elementwise operators');
}

/** Who made a traced begin state, for its MXNet name: the block, and MXNet's name base and layout (`begin_state_`/'NC' for a cell, `h0_`/'LNC' for a layer). */
export interface BeginStateOrigin {
  block: object;
  base: string;
  layout: string;
}

const BEGIN_STATES = new WeakMap<object, BeginStateOrigin>();

/** Records that a traced value (an IR `Value`) is a block's begin state. Example: `recordBeginState(sym.value, { block: cell, base: 'begin_state_', layout: 'NC' })`. */
export function recordBeginState(value: object, origin: BeginStateOrigin): void {
  BEGIN_STATES.set(value, origin);
}

/** The recorded origin of a begin state, if it is one. Example: `beginStateOf(node.outputs[0])`. */
export function beginStateOf(value: object): BeginStateOrigin | undefined {
  return BEGIN_STATES.get(value);
}

/** A node of the graph `checkDeferred` walks: its operator, attributes, inputs `[node, output]`, and output shapes where known. */
export interface DeferredNode {
  op: string;
  name: string;
  attrs?: Record<string, string>;
  inputs: readonly (readonly number[])[];
}

/**
 * Checks that MXNet infers every 0 of the `_zeros` nodes of a written graph
 * (walking `deferredAxes` from each, the `RNN` operator taking such zeros as
 * its begin state), so the file binds in MXNet and in `SymbolBlock.imports`;
 * `shapeOf(node)` gives a node's output shapes where known. Throws an Error
 * naming the zeros and the node where the inference stops, or the output
 * left with an unknown size.
 *
 * ```ts
 * checkDeferred(nodes, heads, (i) => shapes[i]);
 * ```
 */
export function checkDeferred(nodes: readonly DeferredNode[], heads: readonly (readonly number[])[], shapeOf: (node: number) => readonly (readonly (number | string)[])[] | undefined): void {
  const pending: number[][] = [];
  const origin: string[] = [];
  nodes.forEach((n, i) => {
    const attrs = n.attrs ?? {};
    const own = deferredZerosAxes({ op: n.op, attrs });
    pending.push(own ?? []);
    origin.push(own ? n.name : '');
    if (own) return;
    const read = n.inputs.filter(([j]) => pending[j!]!.length && !(n.op === 'RNN' && deferredZerosAxes({ op: nodes[j!]!.op, attrs: nodes[j!]!.attrs ?? {} })));
    if (!read.length) return;
    const from = origin[read[0]![0]!]!;
    try {
      pending[i] = deferredAxes({ op: n.op, attrs }, n.inputs.map(([j, o]) => {
        const shape = shapeOf(j!)?.[o!];
        if (!shape) throw new Error(`the shape of '${nodes[j!]!.name}' is not known here`);
        return { pending: pending[j!]!, shape };
      }));
    } catch (e) {
      throw new Error(`zeros '${from}' (MXNet's _zeros of shape ${attrsOf(nodes, from)}, a 0 where the size is read from the data) reach node '${n.name}': ${(e as Error).message}`);
    }
    origin[i] = from;
  });
  heads.forEach(([j], h) => {
    if (pending[j!]!.length) throw new Error(`output ${h} (node '${nodes[j!]!.name}') keeps the unknown size of zeros '${origin[j!]}' (MXNet's _zeros of shape ${attrsOf(nodes, origin[j!]!)}): no operator on the way meets the data, so MXNet could not infer it`);
  });
}

const attrsOf = (nodes: readonly DeferredNode[], name: string): string => nodes.find((n) => n.name === name)?.attrs?.shape ?? '?';
