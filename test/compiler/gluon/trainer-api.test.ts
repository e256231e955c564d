import assert from 'node:assert/strict';
import { nd, gluon, optimizer } from 'gluonc';

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
