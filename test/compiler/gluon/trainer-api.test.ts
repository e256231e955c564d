import assert from 'node:assert/strict';
import { nd, gluon, optimizer, context, sym } from 'gluonc';

/** A parameter holding `w`, its gradient `g`. */
function param(name: string, w: number[], g?: number[]): gluon.Parameter {
  const p = new gluon.Parameter(name, { shape: [w.length] });
  p.setData(nd.array(w));
  if (g) p.setGrad(nd.array(g));
  return p;
}

describe("Trainer: a misspelt optimizer option is reported as the Trainer's optimizerParams", () => {
  it('names the Trainer, optimizerParams and the optimizer, keeping the nearest-key suggestion', () => {
    const p = param('w', [1, 2]);
    const where = /^Error: Trainer: optimizerParams of optimizer 'sgd': unknown option 'momentun' \(valid: learningRate, .*momentum.*\); did you mean 'momentum'\?$/;
    assert.throws(() => new gluon.Trainer([p], 'sgd', { learningRate: 0.1, momentun: 0.9 }), where);
    assert.throws(() => new gluon.Trainer([p], 'sgd', { optimizerParams: { learningRate: 0.1, momentun: 0.9 } }), where);
    assert.throws(() => new gluon.Trainer({ params: [p], optimizer: 'sgd', optimizerParams: { momentun: 0.9 } }), where);
    // 'nag' passes a copy of the options to SGD: still the Trainer's optimizerParams.
    assert.throws(() => new gluon.Trainer([p], 'nag', { momentun: 0.9 }), /^Error: Trainer: optimizerParams of optimizer 'nag': unknown option 'momentun' .*; did you mean 'momentum'\?$/);
    // snake_case MXNet keys still suggest the camelCase one.
    assert.throws(() => new gluon.Trainer([p], 'adam', { learning_rate: 0.1 }), /^Error: Trainer: optimizerParams of optimizer 'adam': unknown option 'learning_rate' .*; did you mean 'learningRate'\?$/);
    // Given loose, a misspelt optimizerParams is suggested.
    assert.throws(() => new gluon.Trainer([p], 'sgd', { optimizer_params: { learningRate: 0.1 } }), /^Error: Trainer: optimizerParams of optimizer 'sgd': unknown option 'optimizer_params' .*; did you mean 'optimizerParams'\?$/);
  });
  it('optimizer.create and a direct optimizer keep their own owner', () => {
    assert.throws(() => optimizer.create('sgd', { momentun: 0.9 }), /^Error: Optimizer 'sgd': unknown option 'momentun' .*; did you mean 'momentum'\?$/);
    assert.throws(() => new optimizer.SGD({ momentun: 0.9 } as never), /^Error: Optimizer 'sgd': unknown option 'momentun'/);
  });
  it('a custom optimizer factory that checks its options gets the same wording', () => {
    optimizer.register('checked-sgd', (o) => optimizer.create('sgd', o));
    const p = param('w', [1, 2]);
    assert.throws(() => new gluon.Trainer([p], 'checked-sgd', { momentun: 0.9 }), /^Error: Trainer: optimizerParams of optimizer 'checked-sgd': unknown option 'momentun' .*; did you mean 'momentum'\?$/);
  });
});

describe('Trainer / Parameter / ParameterDict: MXNet 1.x API edges', () => {
  const dense = () => {
    const net = new gluon.nn.Dense(2, { inUnits: 3 });
    net.initialize();
    return net;
  };

  it("setattr takes MXNet's snake_case attribute names (grad_req, lr_mult, wd_mult) as Gluon code writes them", () => {
    const net = dense();
    const params = net.collectParams();
    params.setattr('grad_req', 'null');
    assert.ok(params.values().every((p) => p.gradReq === 'null'));
    params.setattr('gradReq', 'write');
    net.setattr('wd_mult', 0);
    assert.ok(params.values().every((p) => p.wdMult === 0 && p.gradReq === 'write'));
    // lr_mult scales the step: SGD's w - lr * lr_mult * g (MXNet's optimizer: lr = learning_rate * lr_mult).
    net.collectParams('.*bias').setattr('lr_mult', 0.5);
    assert.equal(net.bias!.lrMult, 0.5);
    assert.equal(net.weight.lrMult, 1);
    const p = param('w', [1, 2], [1, -2]);
    new gluon.ParameterDict([['w', p]] as never).setattr('lr_mult', 0.5);
    new gluon.Trainer([p], 'sgd', { learningRate: 0.1 }).update(1);
    assert.deepEqual(Array.from(p.data().data() as Float32Array), [1 - 0.1 * 0.5 * 1, Math.fround(2 + 0.1 * 0.5 * 2)].map(Math.fround));
    // Values are checked, misspellings suggested, and names on Object's prototype are not attributes.
    assert.throws(() => params.setattr('lr_mult', '2' as never), /lrMult must be a finite number, got "2"/);
    assert.throws(() => params.setattr('lr_mul' as never, 0.1), /^Error: ParameterDict\.setattr: unknown attribute "lr_mul" .*; did you mean 'lr_mult'\?$/);
    assert.throws(() => params.setattr('toString' as never, 0.1), /ParameterDict\.setattr: unknown attribute "toString"/);
  });

  it('a single Parameter as params is refused by what it is (wrap it in a list), not by its keys', () => {
    const p = param('w', [1, 2]);
    assert.throws(() => new gluon.Trainer(p as never, 'sgd'), /^Error: Trainer: params must be a ParameterDict, a list of Parameters or an object of Parameters, got Parameter 'w'; wrap one in a list: new Trainer\(\[p\], \.\.\.\)$/);
  });

  it("update's errors name Trainer.update (the allreduceGrads/update split), step's name Trainer.step", () => {
    const p = param('w', [1, 2], [0.5, 0.5]);
    const t = new gluon.Trainer([p], 'sgd', { learningRate: 0.1 });
    t.allreduceGrads();
    t.update(1);
    assert.throws(() => t.update(1), /^Error: Trainer\.update: the gradient of Parameter 'w' has not been updated by backward since the last update/);
    assert.throws(() => t.step(1), /^Error: Trainer\.step: the gradient of Parameter 'w' has not been updated by backward since the last step/);
  });

  it('listCtx / resetCtx / listData / listGrad: the one global context; another context is an Error saying how to switch', () => {
    const net = dense();
    const params = net.collectParams();
    const w = params.values()[0]!;
    assert.deepEqual(w.listCtx().map(String), ['cpu(0)']);
    assert.deepEqual(params.listCtx().map(String), ['cpu(0)']);
    params.resetCtx(context.cpu());
    w.resetCtx([context.cpu()]);
    assert.equal(w.listData()[0], w.data());
    assert.equal(w.listGrad()[0], w.grad());
    assert.throws(() => params.resetCtx(context.gpu()), /^Error: ParameterDict\.resetCtx\(gpu\(0\)\): gluonc keeps parameters on the host and runs on one global context \(now cpu\(0\)\); call context\.setContext\(gpu\(0\)\) to run there$/);
    assert.throws(() => w.resetCtx('gpu' as never), /^Error: Parameter 'weight'\.resetCtx: expected a Context \(context\.cpu\(\), context\.gpu\(\)\) or a list of them, got "gpu"$/);
  });
});

describe("SymbolBlock: MXNet's SymbolBlock(outputs, inputs) from symbols", () => {
  it('is taken (symbol-block-symbols.test.ts); anything else is refused by name', () => {
    const x = sym.var('x', { shape: ['N', 3] });
    assert.ok(new (gluon.SymbolBlock as unknown as new (...a: unknown[]) => unknown)(sym.relu(x), [x]) instanceof gluon.SymbolBlock);
    assert.throws(() => new (gluon.SymbolBlock as unknown as new (...a: unknown[]) => unknown)('net.onnx'), /^Error: SymbolBlock: expected a graph \(SymbolBlock\.imports\(path\) makes one from a file\) or symbols \(SymbolBlock\(outputs, inputs\)\), got "net\.onnx"$/);
  });
});
