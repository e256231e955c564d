/**
 * Compiling a plain Block: its imperative `forward` on NDArrays is traced by
 * calling it with symbols, which the `nd` operators turn into graph nodes
 * (their arrays, parameter data included, become constants). A forward that
 * reads values (data-dependent control flow) fails with the error saying so.
 */
import { Block } from './block.js';
import { HybridBlock } from './hybrid.js';
import type { ParameterDict } from './parameter.js';
import type { F, Tensor } from '../engine/tensor.js';

/**
 * A HybridBlock running `block`'s forward: eager as it is, traced when
 * hybridized or exported.
 *
 * ```ts
 * asHybrid(new MyDense(5, 3)).export('my-dense.onnx', { inputs: { x: { shape: ['N', 5] } } });
 * ```
 */
export function asHybrid(block: Block): HybridBlock {
  if (block instanceof HybridBlock) return block;
  return new TracedBlock(block);
}

class TracedBlock extends HybridBlock {
  private readonly inner: () => Block;

  constructor(inner: Block) {
    super();
    // Held in a closure, not a property: the inner block's arrays are constants of the trace, not parameters.
    this.inner = () => inner;
    this._scopeName = inner.constructor.name;
  }

  /** Named after the inner block in MXNet's export (`mydense0_const0`: its arrays are constants of the trace). */
  override _alias(): string {
    return this.inner()._alias();
  }

  /** The inner block's parameters (hybrid children traced inside it are graph parameters under these names). */
  override collectParams(select?: string | RegExp): ParameterDict {
    return this.inner().collectParams(select);
  }

  /** The inner forward is imperative: its parameter reads are constants of the trace, as documented. */
  protected override _forwardName(): string | null {
    return null;
  }

  override hybridForward(_F: F, ...args: unknown[]): Tensor {
    args.pop(); // this wrapper's (empty) parameter object
    return this.inner().call(...args) as Tensor;
  }

  override toString(): string {
    return `Traced(${String(this.inner())})`;
  }
}
