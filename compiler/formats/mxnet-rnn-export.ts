/**
 * MXNet's fused recurrent operator in `export(path, { format: 'mxnet' })`.
 * gluonc's `rnn.RNN` / `LSTM` / `GRU` trace to ONNX's recurrent operators
 * (gate blocks reordered, a zero begin state sized from the batch), which
 * MXNet has no form for; so a traced layer call is recorded here
 * (`recordRecurrentCall`: its data, states, lengths, parameters and
 * outputs) and the writer replaces the nodes it traced to by what MXNet
 * 1.x's `_RNNLayer.hybrid_forward` / `_forward_kernel`
 * (python/mxnet/gluon/rnn/rnn_layer.py, 1.6 to 1.9) writes: `SwapAxis`
 * (dim1 0, dim2 1) around an NTC layer; each parameter `Reshape`d to
 * `(-1,)` and joined by `_rnn_param_concat` (dim 0) in the fused order
 * (every weight, then every bias; layer by layer; `l` then `r`; `i2h`
 * then `h2h`); without given states, `begin_state(0, func=symbol.zeros)`'s
 * `_zeros` nodes `<prefix>h0_0`, `<prefix>h0_1` of shape
 * `(layers * directions, 0, hidden)` (MXNet infers the 0 from the data),
 * also for given states that are zeros whose batch is read from a traced
 * tensor (`beginState(x.shape[1])` exported with a symbolic batch) and that
 * only the call reads;
 * then `RNN` (attributes `state_size`, `num_layers`, `bidirectional`, `p`,
 * `state_outputs` True, `mode`, `projection_size` None, the LSTM state
 * clips None/False, `use_sequence_length`), outputs out, hy (and cy).
 * Gate orders need no change: MXNet's operator takes the layers' own
 * (LSTM i, f, g, o; GRU r, z, n), the order gluonc keeps its parameters in.
 * Invariant: a call's nodes are skipped only when nothing outside the call
 * reads their values (else the export is an Error naming the layer).
 */
import type { Node } from '../ir/node.js';
import type { Value } from '../ir/value.js';
import { rnnParamOrder } from './mxnet-rnn-param.js';

/** One traced call of a fused recurrent layer. Example: made by `rnn.LSTM`'s `hybridForward` while tracing. */
export interface RecurrentCall {
  /** The layer (its MXNet prefix is looked up by identity). */
  block: object;
  /** MXNet's RNN mode: 'lstm', 'gru', 'rnn_tanh', 'rnn_relu'. */
  mode: string;
  stateSize: number;
  numLayers: number;
  bidirectional: boolean;
  /** Dropout between layers (MXNet's `p`). */
  p: number;
  layout: 'TNC' | 'NTC';
  /** The data in the layer's layout. */
  data: Value;
  /** Given begin states (`[h]` or `[h, c]`), or none: zeros. */
  states: Value[];
  lens?: Value;
  /** The layer's parameters by name (`l0_i2h_weight`, ...), written reshaped and joined by `_rnn_param_concat`. */
  params: Record<string, Value>;
  /** Instead, the flat vector already joined (an imported `RNN` node's input), written as it is. */
  flat?: Value;
  /** The output in the layer's layout, then the final states. */
  outputs: Value[];
  /** The MXNet prefix of the nodes (legacy `mx.rnn.FusedRNNCell`'s own), instead of the block's. */
  prefix?: string;
}

const CALLS = new WeakMap<Value, RecurrentCall>();
/** Given states `recurrentCalls` found to be zeros of a traced batch read by their call alone: written as `_zeros`. */
const WRITTEN_AS_ZEROS = new WeakSet<Value>();

/** Records a traced call (keyed by its outputs). Example: `recordRecurrentCall({ block: this, mode: 'lstm', ... })`. */
export function recordRecurrentCall(call: RecurrentCall): void {
  for (const v of call.outputs) CALLS.set(v, call);
}

/**
 * Records again, over copies of a graph, the calls recorded on the original
 * values (`map` gives a value's copy): a graph built from the user's
 * symbols (SymbolBlock) and each trace replaying it keep the calls. A call
 * whose inputs or outputs have no copy is left out (an output the copy
 * dropped, read by nothing, stays as it was).
 *
 * ```ts
 * remapRecurrentCalls(original.nodes.flatMap((n) => n.outputs), (v) => copies.get(v));
 * ```
 */
export function remapRecurrentCalls(values: Iterable<Value>, map: (v: Value) => Value | undefined): void {
  const done = new Set<RecurrentCall>();
  for (const v of values) {
    const c = CALLS.get(v);
    if (!c || done.has(c)) continue;
    done.add(c);
    const m = (x: Value) => map(x);
    const all = [c.data, ...c.states, ...(c.lens ? [c.lens] : []), ...(c.flat ? [c.flat] : []), ...Object.values(c.params)];
    if (all.some((x) => !m(x)) || !c.outputs.some((x) => m(x))) continue;
    recordRecurrentCall({
      ...c, data: m(c.data)!, states: c.states.map((x) => m(x)!), ...(c.lens ? { lens: m(c.lens)! } : {}), ...(c.flat ? { flat: m(c.flat)! } : {}),
            // An output nothing reads (a final state the graph drops) has no copy: kept as it was, it is read by nothing there either.
      params: Object.fromEntries(Object.entries(c.params).map(([k, x]) => [k, m(x)!])), outputs: c.outputs.map((x) => m(x) ?? x),
    });
  }
}

/** The recorded call a value is an output of. Example: `recurrentCallOf(y)`. */
export function recurrentCallOf(v: Value): RecurrentCall | undefined {
  return CALLS.get(v);
}

/**
 * The calls among a graph's nodes and the nodes each one traced to (walked
 * back from its outputs to its data, states, lengths and parameters);
 * throws (`what` names the export) when a value inside a call is read by a
 * node outside it.
 *
 * ```ts
 * const { calls, inside } = recurrentCalls(graph.nodes, label);
 * ```
 */
export function recurrentCalls(nodes: readonly Node[], what: string): { calls: RecurrentCall[]; inside: Set<Node> } {
  const calls: RecurrentCall[] = [];
  const inside = new Set<Node>();
  const owner = new Map<Node, RecurrentCall>();
  for (const n of nodes) {
    for (const o of n.outputs) {
      const c = CALLS.get(o);
      if (!c || calls.includes(c)) continue;
      calls.push(c);
      const stop = new Set<Value>([c.data, ...c.states, ...(c.lens ? [c.lens] : []), ...(c.flat ? [c.flat] : [])]);
      const todo = [...c.outputs];
      while (todo.length) {
        const v = todo.pop()!;
        const p = v.producer;
        if (stop.has(v) || !p || owner.has(p)) continue;
        owner.set(p, c);
        inside.add(p);
        todo.push(...p.inputs);
      }
    }
  }
  // Zero states sized from a traced batch, read by their call alone, are written as its `_zeros` (writeRecurrentCall).
  for (const c of calls) {
    for (const v of c.states) {
      if (zerosOfTracedBatch(v) && v.uses.every((u) => owner.get(u) === c)) {
        owner.set(v.producer!, c);
        inside.add(v.producer!);
        WRITTEN_AS_ZEROS.add(v);
      }
    }
  }
  for (const n of nodes) {
    for (const v of n.inputs) {
      const c = v.producer && owner.get(v.producer);
      if (c && owner.get(n) !== c && !c.outputs.includes(v)) {
        throw new Error(`${what}: a value inside recurrent layer ${c.block.constructor.name}'s call is read outside it (operator '${n.op}'); MXNet's RNN operator gives only the output and the final states`);
      }
    }
  }
  return { calls, inside };
}

/** True for zeros whose shape reads a dimension from a tensor (`zeros(%x) { shape: [1, { input: 0, ... }, 4] }`): MXNet's `_zeros` with a 0 there. */
function zerosOfTracedBatch(v: Value): boolean {
  const p = v.producer;
  return !!p && p.op === 'zeros' && p.inputs.length > 0 && p.attrs['value'] === 0;
}

/** What `writeRecurrentCall` needs of the writer. */
export interface RecurrentEmitter {
  /** A reference to a value already written (or written now). */
  ref(v: Value): [number, number, number];
  /** The variable node of a parameter value. */
  variable(v: Value): number;
  /** Appends a node with its output count; returns its index. */
  push(node: { op: string; name: string; attrs?: Record<string, string>; inputs: [number, number, number][] }, outputs: number): number;
  /** A fresh node name from a base (`lstm0_reshape` gives `lstm0_reshape0`). */
  name(base: string): string;
}

/**
 * Writes one call as MXNet 1.x's nodes (see the module comment) under the
 * layer's MXNet `prefix`; returns where each of the call's outputs is
 * (`[node, output]`, in `call.outputs` order).
 *
 * ```ts
 * const at = writeRecurrentCall(call, 'lstm0_', emitter); // [[swapaxes, 0], [rnn, 1], [rnn, 2]]
 * ```
 */
export function writeRecurrentCall(call: RecurrentCall, prefix: string, e: RecurrentEmitter): [number, number][] {
  const dirs = call.bidirectional ? 2 : 1;
  const ntc = call.layout === 'NTC';
  let data = e.ref(call.data);
  const swap = (x: [number, number, number]): number => e.push({ op: 'SwapAxis', name: e.name(`${prefix}swapaxes`), attrs: { dim1: '0', dim2: '1' }, inputs: [x] }, 1);
  if (ntc) data = [swap(data), 0, 0];
  let params: [number, number, number];
  if (call.flat) params = e.ref(call.flat);
  else {
    const flat = rnnParamOrder(call.numLayers, call.bidirectional ? ['l', 'r'] : ['l']).map((k): [number, number, number] => {
      const v = call.params[k];
      if (!v) throw new Error(`recurrent layer ${call.block.constructor.name} has no parameter '${k}'`);
      return [e.push({ op: 'Reshape', name: e.name(`${prefix}reshape`), attrs: { shape: '(-1,)' }, inputs: [[e.variable(v), 0, 0]] }, 1), 0, 0];
    });
    params = [e.push({ op: '_rnn_param_concat', name: e.name(`${prefix}rnnparamconcat`), attrs: { dim: '0', num_args: String(flat.length) }, inputs: flat }, 1), 0, 0];
  }
  const count = call.mode === 'lstm' ? 2 : 1;
  const zeros = (i: number): [number, number, number] => [
    e.push({ op: '_zeros', name: `${prefix}h0_${i}`, attrs: { __layout__: 'LNC', dtype: 'float32', shape: `(${call.numLayers * dirs}, 0, ${call.stateSize})` }, inputs: [] }, 1), 0, 0,
  ];
  const states = call.states.length
    ? call.states.map((v, i) => (WRITTEN_AS_ZEROS.has(v) ? zeros(i) : e.ref(v)))
    : Array.from({ length: count }, (_v, i) => zeros(i));
  const attrs: Record<string, string> = {
    bidirectional: call.bidirectional ? 'True' : 'False',
    lstm_state_clip_max: 'None',
    lstm_state_clip_min: 'None',
    lstm_state_clip_nan: 'False',
    mode: call.mode,
    num_layers: String(call.numLayers),
    p: String(call.p),
    projection_size: 'None',
    state_outputs: 'True',
    state_size: String(call.stateSize),
    use_sequence_length: call.lens ? 'True' : 'False',
  };
  const rnn = e.push({ op: 'RNN', name: e.name(`${prefix}rnn`), attrs, inputs: [data, params, ...states, ...(call.lens ? [e.ref(call.lens)] : [])] }, 1 + count);
  const out = ntc ? swap([rnn, 0, 0]) : rnn;
  return call.outputs.map((_v, i) => (i === 0 ? [out, 0] : [rnn, i]));
}
