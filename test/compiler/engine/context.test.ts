import assert from 'node:assert/strict';
import { autograd, context, gluon, init, nd, npx, profiler, random } from 'gluonc';
import { CUDA_INSTALL_COMMAND } from 'gluonc/runtime';
import { GPU_MISSING } from '../../../compiler/engine/context.js';
import { cudaProviderInstalled } from '../../../runtime/ort.js';

const CUDA = cudaProviderInstalled();

function net(): InstanceType<typeof gluon.nn.HybridSequential> {
  random.seed(3);
  const n = new gluon.nn.HybridSequential();
  n.add(new gluon.nn.Dense(8, { activation: 'relu' }), new gluon.nn.Dense(3));
  n.initialize(new init.Xavier());
  return n;
}

/** x·W1ᵀ+b1, relu, ·W2ᵀ+b2 in float64 from the parameters' values: the independent reference. */
function reference(n: ReturnType<typeof net>, x: nd.NDArray): number[][] {
  const p = Object.fromEntries([...n.collectParams().entries()].map(([k, v]) => [k, v.data().toArray() as number[][]]));
  const dense = (rows: number[][], w: number[][], b: number[]): number[][] => rows.map((r) => w.map((wr, j) => wr.reduce((s, v, i) => s + v * r[i]!, b[j]!)));
  const h = dense(x.toArray() as number[][], p['0.weight']!, p['0.bias'] as unknown as number[]).map((r) => r.map((v) => Math.max(0, v)));
  return dense(h, p['1.weight']!, p['1.bias'] as unknown as number[]);
}

function assertClose(a: number[][], b: number[][], what: string, tol = 1e-5): void {
  a.flat().forEach((v, i) => assert.ok(Math.abs(v - b.flat()[i]!) <= tol, `${what}[${i}]: ${v} vs ${b.flat()[i]}`));
}

describe('gluon context (mx.cpu() / mx.gpu())', () => {
  afterEach(() => context.setContext(context.cpu()));

  it('defaults to cpu(0); gpu() selects cuda; setContext returns the previous context', () => {
    assert.equal(String(context.currentContext()), 'cpu(0)');
    const g = context.gpu();
    assert.equal(String(g), 'gpu(0)');
    assert.equal(g.device, 'cuda');
    assert.equal(context.cpu().device, 'cpu');
    assert.equal(String(context.setContext(g)), 'cpu(0)');
    assert.equal(context.currentContext(), g);
    assert.equal(String(context.setContext('cpu')), 'gpu(0)');
    context.setContext('cuda');
    assert.equal(String(context.currentContext()), 'gpu(0)');
  });

  it('withContext restores the previous context, also when fn throws', () => {
    assert.equal(context.withContext(context.gpu(), () => String(context.currentContext())), 'gpu(0)');
    assert.equal(String(context.currentContext()), 'cpu(0)');
    assert.throws(() => context.withContext('cuda', () => { throw new Error('boom'); }), /boom/);
    assert.equal(String(context.currentContext()), 'cpu(0)');
  });

  it('refuses unknown devices and device ids other than 0, naming them', () => {
    assert.throws(() => context.setContext('tpu' as never), /setContext: unknown device 'tpu'/);
    assert.throws(() => context.gpu(1), /gpu\(1\) is not supported/);
    assert.throws(() => new context.Context('npu' as never), /unknown device type 'npu'/);
  });

  it('a hybridized block under gpu() without the CUDA provider fails with the install instruction; back on cpu() it runs', function () {
    if (CUDA) this.skip();
    const n = net();
    n.hybridize();
    const x = nd.random.uniform(-1, 1, [4, 5]);
    assert.throws(() => context.withContext(context.gpu(), () => n.call(x)), (e: Error) => e.message === GPU_MISSING);
    // The hint fits Gluon: the install command and context.cpu(), not Session's fallback option.
    assert.ok(GPU_MISSING.includes(CUDA_INSTALL_COMMAND) && GPU_MISSING.includes('context.cpu()') && !GPU_MISSING.includes('fallback'));
    assertClose((n.call(x) as nd.NDArray).toArray() as number[][], reference(n, x), 'cpu after the failure');
  });

  it('the fused training step under gpu() without the provider fails with the install instruction and leaves the parameters alone', function () {
    if (CUDA) this.skip();
    const n = net();
    n.hybridize();
    const l2 = new gluon.loss.L2Loss();
    l2.hybridize();
    const x = nd.random.uniform(-1, 1, [4, 5]);
    n.call(x);
    const before = n.collectParams().get('0.weight')!.data().data();
    const trainer = new gluon.Trainer(n.collectParams(), 'sgd', { learningRate: 0.1 });
    assert.throws(
      () =>
        context.withContext('cuda', () => {
          const loss = autograd.record(() => l2.call(n.call(x), nd.zeros([4, 3])) as nd.NDArray);
          loss.backward();
          trainer.step(4);
        }),
      (e: Error) => e.message === GPU_MISSING,
    );
    assert.deepEqual(n.collectParams().get('0.weight')!.data().data(), before);
  });

  it('on CUDA, a hybridized block compiles a session per device and gives the CPU result', function () {
    if (!CUDA) {
      this.test!.title += " (skipped: onnxruntime-node's CUDA provider is not installed)";
      this.skip();
    }
    const n = net();
    n.hybridize();
    const x = nd.random.uniform(-1, 1, [4, 5]);
    const cpu = (n.call(x) as nd.NDArray).toArray() as number[][];
    const created = profiler.counters().sessionsCreated;
    const gpu = context.withContext(context.gpu(), () => (n.call(x) as nd.NDArray).toArray() as number[][]);
    assert.ok(profiler.counters().sessionsCreated > created, 'a new session for gpu(0)');
    assertClose(gpu, reference(n, x), 'gpu', 1e-4);
    assertClose(cpu, reference(n, x), 'cpu');
  });
});

describe("MXNet's as_in_ctx in ported code (d2l's X.as_in_ctx(device))", () => {
  it('the current context returns the array itself; another one is an Error naming setContext; a ctx option stays refused', () => {
    const x = nd.ones([2]);
    assert.equal(x.asInCtx(npx.cpu()), x);
    assert.throws(() => x.asInCtx(npx.gpu()), /asInCtx: ctx gpu\(0\) is not the current context cpu\(0\); gluonc has one global context: context.setContext\(context.gpu\(\)\) first/);
    assert.throws(() => x.asInCtx('cpu' as never), /asInCtx: ctx must be a Context/);
    const net = new gluon.nn.Dense(2, { inUnits: 3 });
    assert.throws(() => net.initialize(new init.Xavier(), { ctx: npx.cpu() } as never), /Dense.initialize: unknown option 'ctx' .*ctx is not taken: one global context/);
  });
});
