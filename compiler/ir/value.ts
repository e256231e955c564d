/**
 * An IR value: the single output of a producer node (or a graph input or
 * constant), with its type and the nodes that use it.
 * Invariant: `producer` is null exactly for graph inputs and constants;
 * `uses` lists each consuming node once per input slot.
 */
import type { HostTensor } from '../../runtime/tensor.js';
import type { Node } from './node.js';
import type { TensorType } from './types.js';

let nextId = 0;

/** What a value without a producer is. */
export type ValueKind = 'input' | 'param' | 'const' | 'node';

/**
 * A value in the IR.
 *
 * ```ts
 * const x = Value.input('x', { dtype: 'float32', shape: ['N', 784] });
 * ```
 */
export class Value {
  readonly id: number;
  name: string;
  type: TensorType;
  kind: ValueKind;
  producer: Node | null = null;
  /** The output slot of `producer` this value occupies. */
  index = 0;
  readonly uses: Node[] = [];
  /** False for a variable declared without a shape, and everything computed from it, until re-typed. */
  known = true;
  /** The data of a constant or a parameter's current value. */
  data: HostTensor | null = null;

  constructor(name: string, type: TensorType, kind: ValueKind) {
    this.id = nextId++;
    this.name = name;
    this.type = { dtype: type.dtype, shape: [...type.shape] };
    this.kind = kind;
  }

  /** The id the next value made will get (values made later have larger ids). */
  static get nextId(): number {
    return nextId;
  }

  /** A graph input. */
  static input(name: string, type: TensorType): Value {
    return new Value(name, type, 'input');
  }

  /** A parameter (an initializer in ONNX, an input of training graphs). */
  static param(name: string, type: TensorType, data: HostTensor | null = null): Value {
    const v = new Value(name, type, 'param');
    v.data = data;
    return v;
  }

  /** A constant with known data. */
  static constant(data: HostTensor, name = ''): Value {
    const v = new Value(name, { dtype: data.dtype, shape: data.shape }, 'const');
    v.data = data;
    return v;
  }

  /** True for constants (values whose data is fixed at compile time). */
  get isConst(): boolean {
    return this.kind === 'const';
  }
}
