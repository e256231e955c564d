/**
 * The cases import-loop-sequence-edit.test.ts and import-loop-sequence-tail.test.ts share: a fixture folder's
 * imported blocks run as onnxruntime ran the same files (`sameAsOrt`), their float64 gradients through the Loop's
 * list as central differences of onnxruntime (`gradientCase`), and one fused SGD step through it (`fusedStepCase`).
 * A fixture `<name>` writes `<name><j>_in_<k>.npy` / `<name><j>_out<i>.npy` per data set j (and
 * `<name><j>_error.txt` where onnxruntime failed), and for gradients `<name>0_in_m`, `<name>0_in_x`,
 * `<name>_r1..r3` (the loss weights), `<name>_gx`, `<name>_gW` and `<name>_gW0` (the gradient of Σ at·r2 + Σ vf·r3).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { autograd, gluon, nd } from 'gluonc';
import { fusedRunners } from '../../../compiler/engine/program.js';
import { onnx } from '../../../compiler/onnx/proto.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers, type HostTensor } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';

/** Σ at·r2 + Σ vf·r3: the loss of the training steps (a hybridized block takes tensors whose shapes it is called with). */
class AtVf extends gluon.HybridBlock {
  override hybridForward(F: gluon.F, at: gluon.Tensor, vf: gluon.Tensor, r2: gluon.Tensor, r3: gluon.Tensor) {
    return F.add(F.sum(F.mul(at, r2)), F.sum(F.mul(vf, r3)));
  }
}

/** The shared cases over the fixture folder `dir()` (read when a case runs: pythonFixtures fills it in `before`). */
export function loopListCases(dir: () => string) {
  const npy = (f: string, d = dir()): HostTensor => readNpy(join(d, `${f}.npy`));
  const net = (name: string, hybrid: boolean, d = dir()) => {
    const b = gluon.SymbolBlock.imports(join(d, `${name}.onnx`));
    if (hybrid) b.hybridize();
    return b;
  };
  const feeds = (name: string, keys: string[], j: number, d = dir()) => keys.map((k) => new nd.NDArray(npy(`${name}${j}_in_${k}`, d)));

  /** Runs `name` on each data set `runs` (one block each way), every output as onnxruntime's. */
  function sameAsOrt(name: string, keys: string[], runs: number[], outs: number, d = dir()): void {
    for (const hybrid of [false, true]) {
      const b = net(name, hybrid, d);
      for (const j of runs) {
        assert.ok(!existsSync(join(d, `${name}${j}_error.txt`)), `onnxruntime runs ${name} ${j}`);
        const got = b.call(...feeds(name, keys, j, d));
        const list = (Array.isArray(got) ? got : [got]) as nd.NDArray[];
        assert.equal(list.length, outs);
        list.forEach((y, i) => {
          const want = npy(`${name}${j}_out${i}`, d);
          const how = `${name} run ${j} output ${i} (${hybrid ? 'hybridized' : 'eager'})`;
          assert.deepEqual(y.shape, want.shape, `${how} shape`);
          assertClose(tensorToNumbers(y._host), tensorToNumbers(want), how);
        });
      }
    }
  }

  /** The gradients into x and the parameter W of Σ cat·r1 + Σ at·r2 + Σ vf·r3, eager and hybridized, as onnxruntime's central differences. */
  function gradientCase(name: string): void {
    for (const hybrid of [false, true]) {
      const b = net(name, hybrid);
      const x = new nd.NDArray(npy(`${name}0_in_x`));
      x.attachGrad();
      const r = (k: string) => new nd.NDArray(npy(`${name}_${k}`));
      autograd.record(() => {
        const [cat, , at, vf] = b.call(new nd.NDArray(npy(`${name}0_in_m`)), x) as nd.NDArray[];
        return nd.add(nd.add(nd.sum(nd.mul(cat!, r('r1'))), nd.sum(nd.mul(at!, r('r2')))), nd.sum(nd.mul(vf!, r('r3'))));
      }).backward();
      const how = `${name}, ${hybrid ? 'hybridized' : 'eager'}`;
      assertClose(tensorToNumbers(x.grad._host), tensorToNumbers(npy(`${name}_gx`)), `dx (${how})`, 1e-6, 1e-7);
      assertClose(tensorToNumbers(b.collectParams().get('W').grad()._host), tensorToNumbers(npy(`${name}_gW`)), `dW (${how})`, 1e-6, 1e-7);
    }
  }

  /** One fused step (record, backward, trainer.step) through `name`: one session holding the forward and reverse Loops, SGD's update as central differences. */
  function fusedStepCase(name: string): void {
    const b = net(name, true);
    const params = b.collectParams();
    const old = tensorToNumbers(params.get('W').data()._host);
    const trainer = new gluon.Trainer(params, 'sgd', { learningRate: 0.1 });
    const before = new Set(fusedRunners());
    const loss = new AtVf();
    loss.hybridize();
    const arr = (f: string) => new nd.NDArray(npy(f));
    const l = autograd.record(() => {
      const [, , at, vf] = b.call(arr(`${name}0_in_m`), arr(`${name}0_in_x`)) as nd.NDArray[];
      return loss.call(at!, vf!, arr(`${name}_r2`), arr(`${name}_r3`)) as nd.NDArray;
    });
    l.backward();
    trainer.step(1);
    const fresh = fusedRunners().filter((r) => !before.has(r));
    assert.equal(fresh.length, 1, 'one fused step');
    assert.equal(onnx.ModelProto.decode(fresh[0]!.bytes).graph!.node!.filter((n) => n.opType === 'Loop').length, 2, 'the forward Loop and the reverse one');
    const g = tensorToNumbers(npy(`${name}_gW0`));
    assertClose(tensorToNumbers(params.get('W').data()._host), old.map((w, i) => w - 0.1 * g[i]!), 'W after one SGD step');
  }

  return { npy, net, feeds, sameAsOrt, gradientCase, fusedStepCase };
}
