/**
 * `export(path, { format: 'mxnet' })`: MXNet's `-symbol.json` and
 * `-NNNN.params`, as MXNet 1.x's `HybridBlock.export` writes them.
 *
 * References, independent of gluonc's writer: the fixture
 * test/fixtures/mxnet/convnet-symbol.json / convnet-0000.params (make.py,
 * written from MXNet's export format), compared in python3 with attributes
 * read by `ast.literal_eval`; the params read by a python NDArray-list
 * reader written from MXNet's C++ layout; and each exported net run by a
 * python3 interpreter of MXNet's operators (numpy and torch, float64) on the
 * files alone. Round trips through `SymbolBlock.imports` check the reader
 * and the writer against each other. MXNet itself is not installable here
 * (no package index serves it), so no test runs `mx.sym.load`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gluon, nd, random } from 'gluonc';
import lenet from '../../../models/lenet.js';
import mlp from '../../../models/mlp.js';
import resnet from '../../../models/resnet.js';
import { assertClose } from '../../helpers/compare.js';
import { MobileNetV2 } from '../../../models/zoo/mobilenet.js';
import { checkMxnetFiles, PY_READ_MXNET, PY_RUN_MXNET_SYMBOL, python } from '../../helpers/mxnet-python.js';
import type { AttrValue } from '../../../compiler/ir/node.js';
import { mxnetAttrString } from '../../../compiler/formats/mxnet-export.js';

const { nn } = gluon;
const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.join(here, '../../fixtures/mxnet');
const flat = (a: nd.NDArray): number[] => Array.from(a.data() as ArrayLike<number>, Number);

/** `x + 0.5 x`: MXNet's `_mul_scalar` then `elemwise_add`. */
class Residual extends gluon.HybridBlock {
  override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    return F.add(x, F.mul(x, 0.5));
  }
}

/** The net of make.py's symbol_case, built from gluonc's layers (the order MXNet's export numbers them in). */
function convnet(): gluon.nn.HybridSequential {
  const net = new nn.HybridSequential();
  net.add(
    new nn.Conv2D(4, 3, { padding: 1 }), new nn.BatchNorm(), new nn.Activation('relu'), new nn.MaxPool2D(2),
    new nn.Flatten(), new nn.Dense(8, { activation: 'tanh' }), new Residual(), new nn.Dropout(0.5), new nn.Dense(3),
  );
  return net;
}

/**
 * Compares two symbol files as graphs: node by node the operator, the
 * variables' names, the inputs ([node, output]), the attributes after
 * parsing (an attribute on one side only must be at MXNet's default), then
 * `heads` and `arg_nodes`. Prints the differences found.
 */
const PY_SAME_GRAPH = String.raw`
import ast
def val(s):
    try:
        return ast.literal_eval(s)
    except (ValueError, SyntaxError):
        return s
# MXNet's defaults for attributes absent or None (src/operator/nn/dropout-inl.h DropoutParam,
# convolution-inl.h ConvolutionParam; pooling-inl.h PoolingParam: count_include_pad and layout are
# optional, None meaning True and NCHW for 4-d data).
DEFAULTS = {'Dropout': {'mode': 'training', 'cudnn_off': False}, 'Convolution': {'cudnn_off': False},
            'Pooling': {'count_include_pad': True, 'layout': 'NCHW', 'cudnn_off': False}}
a, b = (json.load(open(p)) for p in job)
diff = []
if len(a['nodes']) != len(b['nodes']):
    diff.append('node counts %d and %d' % (len(a['nodes']), len(b['nodes'])))
for i, (m, n) in enumerate(zip(a['nodes'], b['nodes'])):
    if m['op'] != n['op']:
        diff.append('node %d: op %s and %s' % (i, m['op'], n['op']))
        continue
    if m['op'] == 'null' and m['name'] != n['name']:
        diff.append('node %d: variable %s and %s' % (i, m['name'], n['name']))
    if [e[:2] for e in m['inputs']] != [e[:2] for e in n['inputs']]:
        diff.append('node %d (%s): inputs %s and %s' % (i, m['op'], m['inputs'], n['inputs']))
    x = {k: val(v) for k, v in m.get('attrs', {}).items()}
    y = {k: val(v) for k, v in n.get('attrs', {}).items()}
    d = DEFAULTS.get(m['op'], {})
    for k in sorted(set(x) | set(y)):
        u, v = (z[k] if z.get(k) is not None else d.get(k, None if k in z else '<absent>') for z in (x, y))
        if u != v:
            diff.append('node %d (%s): attribute %s: %r and %r' % (i, m['op'], k, u, v))
for key in ('heads', 'arg_nodes'):
    if [e[:2] if isinstance(e, list) else e for e in a[key]] != [e[:2] if isinstance(e, list) else e for e in b[key]]:
        diff.append('%s: %s and %s' % (key, a[key], b[key]))
print(json.dumps(diff))
`;

describe("HybridBlock.export(path, { format: 'mxnet' })", () => {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gluonc-mxnet-export-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe("the fixture's net (test/fixtures/mxnet/make.py, MXNet's own export of it)", () => {
    it('gluonc layers give the same graph (operators, attributes, inputs, heads) and the same parameter names and shapes', () => {
      random.seed(3);
      const net = convnet();
      net.initialize();
      net.call(nd.random.uniform(-1, 1, [2, 1, 6, 6]));
      const res = net.export(path.join(dir, 'convnet'), { format: 'mxnet' });
      assert.deepEqual(res.paths, [path.join(dir, 'convnet-symbol.json'), path.join(dir, 'convnet-0000.params')]);
      assert.deepEqual([res.symbolFile, res.paramsFile], res.paths);
      assert.deepEqual(python(PY_SAME_GRAPH, [res.symbolFile, path.join(FIXTURES, 'convnet-symbol.json')]), []);
      const got = python(PY_READ_MXNET, res.paramsFile);
      const want = python(PY_READ_MXNET, path.join(FIXTURES, 'convnet-0000.params'));
      assert.deepEqual(got.names, want.names);
      assert.deepEqual(got.names.slice(4, 6), ['aux:batchnorm0_running_mean', 'aux:batchnorm0_running_var']);
      assert.deepEqual(got.arrays.map((a: { shape: number[] }) => a.shape), want.arrays.map((a: { shape: number[] }) => a.shape));
      assert.equal(got.trailing, 0);
      const sym = JSON.parse(fs.readFileSync(res.symbolFile, 'utf8'));
      assert.deepEqual(sym.attrs, { mxnet_version: ['int', 10901] });
      // node_row_ptr counts every output MXNet's operators have: BatchNorm 3 (data, mean, var), Dropout 2 (data, mask).
      const counts = sym.nodes.map((n: { op: string }) => ({ BatchNorm: 3, Dropout: 2 })[n.op] ?? 1);
      assert.deepEqual(sym.node_row_ptr, counts.reduce((r: number[], c: number) => [...r, r[r.length - 1]! + c], [0]));
    });

    it('the imported fixture exported again gives the fixture back: the same graph and the same .params bytes', () => {
      const { default: imported } = { default: gluon.SymbolBlock.imports(path.join(FIXTURES, 'convnet-symbol.json'), ['data'], path.join(FIXTURES, 'convnet-0000.params')) };
      imported.call(nd.ones([1, 1, 6, 6]));
      const res = imported.export(path.join(dir, 'again'), { format: 'mxnet', epoch: 7 });
      assert.equal(res.paramsFile, path.join(dir, 'again-0007.params'));
      assert.deepEqual(python(PY_SAME_GRAPH, [res.symbolFile, path.join(FIXTURES, 'convnet-symbol.json')]), []);
      assert.deepEqual(fs.readFileSync(res.paramsFile), fs.readFileSync(path.join(FIXTURES, 'convnet-0000.params')));
    });
  });

  describe('round trips: the files run by an MXNet-semantics interpreter in python, and read back by SymbolBlock.imports', () => {
    /** A net with BatchNorm whose moving statistics are not 0 and 1, a PReLU, a global pool and a constant array. */
    class Head extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor {
        const scale = nd.array([[1, -2, 0.5, 3, 0.25, -1]]);
        const y = F.concat(x, F.broadcastMul(x, scale), { dim: 1 });
        return F.softmax(F.reshape(F.sub(1, y), { shape: [0, -1] }), { axis: -1 });
      }
    }
    function bnNet(): gluon.nn.HybridSequential {
      const net = new nn.HybridSequential();
      net.add(new nn.Conv2D(4, 3), new nn.BatchNorm({ epsilon: 1e-3 }), new nn.PReLU(), new nn.GlobalAvgPool2D(), new nn.Flatten(), new nn.Dense(6), new Head());
      return net;
    }
    const CASES: [string, () => gluon.HybridBlock, number[]][] = [
      ['MLP (models/mlp.ts)', mlp, [3, 784]],
      ['LeNet (models/lenet.ts)', lenet, [2, 1, 28, 28]],
      ['ResNet (models/resnet.ts: residual sums, BatchNorm, global pooling)', resnet, [2, 3, 32, 32]],
      ['BatchNorm, PReLU, global pooling, concat, reshape, softmax and a constant', bnNet, [3, 2, 6, 6]],
      ['the fixture net', convnet, [2, 1, 6, 6]],
      ['MobileNetV2 (models/zoo: elemwise_add shortcuts, depthwise num_group, clip)', () => new MobileNetV2(0.25, { classes: 4 }), [2, 3, 32, 32]],
    ];
    for (const [name, build, shape] of CASES) {
      it(name, () => {
        random.seed(11);
        const net = build();
        net.initialize();
        net.call(nd.random.uniform(-1, 1, shape));
        // Moving statistics away from 0 and 1, so that using them (or not) shows.
        for (const [k, p] of net.collectParams().entries()) {
          if (/running_(mean|var)$/.test(k)) p.setData(nd.random.uniform(k.endsWith('var') ? 0.5 : -0.5, k.endsWith('var') ? 2 : 0.5, p.shape));
        }
        const x = nd.random.uniform(-1, 1, shape);
        const want = net.call(x) as nd.NDArray;
        assert.ok(Math.max(...flat(want)) - Math.min(...flat(want)) > 1e-4, `${name}: the outputs vary (a constant output would compare nothing)`);
        const prefix = path.join(dir, name.split(' ')[0]!.toLowerCase());
        checkMxnetFiles(name, net.export(prefix, { format: 'mxnet' }), x, want);
      });
    }

    it('many operator families, two inputs and two outputs: the files, run in python and read back, compute what the block computes', () => {
      /** Layers and F operators whose MXNet forms differ in name, attributes or outputs (split's two, comparisons' scalars). */
      class Ops extends gluon.HybridBlock {
        ln = new nn.LayerNorm();
        gelu = new nn.GELU();
        elu = new nn.ELU(0.5);
        swish = new nn.Swish();
        emb = new nn.Embedding(7, 6);
        inorm = new nn.InstanceNorm();
        gn = new nn.GroupNorm({ numGroups: 4 });
        dc = new nn.Conv2DTranspose(2, 2, { strides: 2 });
        ap = new nn.AvgPool2D(2, { padding: 1, countIncludePad: false });
        override hybridForward(F: gluon.F, x: gluon.Tensor, idx: gluon.Tensor): gluon.Tensor[] {
          let y = this.ln.call(x) as gluon.Tensor;
          y = F.addN(this.gelu.call(y), this.elu.call(y), this.swish.call(y));
          y = F.broadcastAdd(y, F.sum(this.emb.call(idx), { axis: 1, keepdims: true }));
          const d = F.batchDot(y, F.transpose(F.transpose(y), { axes: [2, 0, 1] }));
          const [s0, s1] = F.split(d, { numOutputs: 2, axis: 2 }) as gluon.Tensor[];
          const c = F.clip(F.sliceAxis(F.stack(s0!, s1!, { axis: 1 }), { axis: 3, begin: 0, end: 1 }), -3, 3);
          let z = F.expandDims(F.mean(c, { axis: 3 }), { axis: 1 });
          z = F.maximum(F.power(F.abs(z), 0.5), 0.1);
          z = F.where(F.greater(z, 0.4), z, F.mul(F.neg(z), F.lesser(0.2, z)));
          const i = this.inorm.call(this.gn.call(F.tile(z, { reps: [1, 4, 1, 1] }))) as gluon.Tensor;
          const p = this.ap.call(this.dc.call(i)) as gluon.Tensor;
          return [F.logSoftmax(F.flatten(p), { axis: -1 }), F.slice(F.exp(F.sqrt(F.square(d))), { begin: [null, 1], end: [null, 3] })];
        }
      }
      random.seed(5);
      const net = new Ops();
      net.initialize();
      const x = nd.random.uniform(-1, 1, [2, 4, 6]);
      const idx = nd.array([[1, 2, 3, 6], [0, 0, 5, 4]]);
      const want = net.call(x, idx) as nd.NDArray[];
      const { symbolFile, paramsFile } = net.export(path.join(dir, 'ops'), { format: 'mxnet' });
      const ops = JSON.parse(fs.readFileSync(symbolFile, 'utf8')).nodes.map((n: { op: string }) => n.op);
      for (const op of ['add_n', 'LayerNorm', 'LeakyReLU', 'SliceChannel', 'stack', 'batch_dot', '_power_scalar', '_maximum_scalar', '_greater_scalar', 'broadcast_lesser', 'GroupNorm', 'InstanceNorm', 'Deconvolution', 'log_softmax', 'slice']) {
        assert.ok(ops.includes(op), `${op} in ${ops.join(' ')}`);
      }
      // The number left of lesser has no scalar form: a [1] constant (MXNet 1.x has no 0-d arrays), so the file is version 2.
      const file = python(PY_READ_MXNET, paramsFile);
      assert.deepEqual(file.arrays.filter((_a: unknown, k: number) => file.names[k].includes('const')).map((a: { shape: number[]; version: number }) => [a.shape, a.version]), [[[1], 2]]);
      const ref = python(PY_RUN_MXNET_SYMBOL, { symbol: symbolFile, params: paramsFile, inputs: { data0: { shape: x.shape, data: flat(x) }, data1: { shape: idx.shape, data: flat(idx) } } });
      const back = gluon.SymbolBlock.imports(symbolFile, ['data0', 'data1'], paramsFile);
      const got = back.call(x, idx) as nd.NDArray[];
      want.forEach((w, k) => {
        assert.ok(Math.max(...flat(w)) - Math.min(...flat(w)) > 1e-4, `output ${k} varies`);
        assert.deepEqual([got[k]!.shape, ref.outs[k].shape], [w.shape, w.shape]);
        assertClose(flat(w), ref.outs[k].data, `output ${k} against the python run of the files`, 1e-4, 1e-5);
        assertClose(flat(got[k]!), flat(w), `output ${k} read back`, 1e-5, 1e-6);
      });
    });

    it('a shared parameter is one variable, written once under its first name (MXNet has one argument per name)', () => {
      random.seed(4);
      const net = new nn.HybridSequential();
      const a = new nn.Dense(4, { inUnits: 4 });
      const b = new nn.Dense(4, { inUnits: 4 });
      net.add(a, new nn.Activation('tanh'), b);
      net.initialize();
      b.shareParameters(a.collectParams());
      const x = nd.random.uniform(-1, 1, [3, 4]);
      const want = net.call(x) as nd.NDArray;
      const { symbolFile, paramsFile } = net.export(path.join(dir, 'shared'), { format: 'mxnet' });
      assert.deepEqual(python(PY_READ_MXNET, paramsFile).names, ['arg:dense0_weight', 'arg:dense0_bias']);
      const nodes = JSON.parse(fs.readFileSync(symbolFile, 'utf8')).nodes as { op: string; inputs: number[][] }[];
      const fcs = nodes.filter((n) => n.op === 'FullyConnected');
      assert.deepEqual(fcs[0]!.inputs.slice(1), fcs[1]!.inputs.slice(1));
      const ref = python(PY_RUN_MXNET_SYMBOL, { symbol: symbolFile, params: paramsFile, inputs: { data: { shape: [3, 4], data: flat(x) } } });
      assertClose(flat(want), ref.outs[0].data, 'the python run', 1e-4, 1e-5);
      assertClose(flat(gluon.SymbolBlock.imports(symbolFile, ['data'], paramsFile).call(x) as nd.NDArray), flat(want), 'read back', 1e-5, 1e-6);
    });

    it('the batch-norm net names its parameters as MXNet 1.x does, moving statistics aux: and the constant an arg:', () => {
      random.seed(2);
      const net = bnNet();
      net.initialize();
      net.call(nd.ones([1, 2, 6, 6]));
      const { paramsFile } = net.export(path.join(dir, 'names'), { format: 'mxnet' });
      assert.deepEqual(python(PY_READ_MXNET, paramsFile).names, [
        'arg:conv0_weight', 'arg:conv0_bias', 'arg:batchnorm0_gamma', 'arg:batchnorm0_beta',
        'aux:batchnorm0_running_mean', 'aux:batchnorm0_running_var', 'arg:prelu0_alpha',
        'arg:dense0_weight', 'arg:dense0_bias', 'arg:head0_const0',
      ]);
    });
  });

  it("attribute strings are MXNet's (Python's str of the value) and a float32 scalar is its shortest decimal", () => {
    const cases: [AttrValue, string | undefined][] = [
      [true, 'True'], [false, 'False'], [null, 'None'], [3, '3'], [-1.5, '-1.5'], [Infinity, 'inf'], ['NCHW', 'NCHW'],
      [[3], '(3,)'], [[], '()'], [[2, 2], '(2, 2)'], [[null, 1], '(None, 1)'], [['N', 4], undefined], [{ a: 1 }, undefined],
    ];
    for (const [v, s] of cases) assert.equal(mxnetAttrString(v), s, JSON.stringify(v));
    class Scale extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor {
        return F.sub(0.3, F.div(F.mul(x, 0.1), 1e-7));
      }
    }
    const net = new Scale();
    net.call(nd.ones([2]));
    const { symbolFile } = net.export(path.join(dir, 'scalars'), { format: 'mxnet' });
    const nodes = JSON.parse(fs.readFileSync(symbolFile, 'utf8')).nodes as { op: string; attrs?: { scalar: string } }[];
    assert.deepEqual(nodes.slice(1).map((n) => [n.op, n.attrs?.scalar]), [['_mul_scalar', '0.1'], ['_div_scalar', '1e-7'], ['_rminus_scalar', '0.3']]);
  });

  describe('errors', () => {
    const ready = (): gluon.nn.HybridSequential => {
      const net = new nn.HybridSequential();
      net.add(new nn.Dense(2, { inUnits: 3 }));
      net.initialize();
      net.call(nd.ones([1, 3]));
      return net;
    };

    it('an operator with no MXNet equivalent is an Error naming it and its block, and nothing is written', () => {
      class Running extends gluon.HybridBlock {
        override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor {
          return F.cumsum(x, { axis: 1 });
        }
      }
      const net = new nn.HybridSequential();
      net.add(new nn.Dense(4, { inUnits: 3 }), new Running());
      net.initialize();
      net.call(nd.ones([1, 3]));
      const prefix = path.join(dir, 'cumsum');
      assert.throws(() => net.export(prefix, { format: 'mxnet' }), /^Error: HybridSequential\.export to '.*cumsum' \(format 'mxnet'\): operator 'cumsum' of block '1' \(Running\) has no MXNet equivalent/);
      assert.ok(!fs.existsSync(`${prefix}-symbol.json`) && !fs.existsSync(`${prefix}-0000.params`));
    });

    it("gluonc's per-channel GroupNorm is refused where MXNet 1.x's GroupNorm scales per group", () => {
      const net = new nn.HybridSequential();
      net.add(new nn.GroupNorm({ numGroups: 2 }));
      net.initialize();
      net.call(nd.ones([1, 4, 3]));
      assert.throws(() => net.export(path.join(dir, 'gn'), { format: 'mxnet' }), /operator 'GroupNorm' of block '0' \(GroupNorm\): MXNet 1\.x's GroupNorm takes gamma and beta per group \(\[2\]\), this one's are \[4\] \(per channel, MXNet 2's\)/);
      assert.ok(!fs.existsSync(path.join(dir, 'gn-symbol.json')));
    });

    it('a bad epoch names the value', () => {
      for (const epoch of [-1, 1.5, Number.NaN, '3', null]) {
        assert.throws(() => ready().export(path.join(dir, 'e'), { format: 'mxnet', epoch: epoch as number }), new RegExp(`epoch must be a whole number 0 or more .*, got ${JSON.stringify(epoch)?.replace(/[.]/g, '\\.')}`));
      }
      assert.equal(ready().export(path.join(dir, 'e'), { format: 'mxnet', epoch: 12 }).paramsFile, path.join(dir, 'e-0012.params'));
    });

    it('unknown options, ONNX-only options, an epoch without the format, an unknown format, a file name for the prefix', () => {
      const net = ready();
      assert.throws(() => net.export(path.join(dir, 'o'), { format: 'mxnet', epohc: 1 } as never), /unknown option 'epohc' \(valid: format, epoch, inputs\); did you mean 'epoch'\?/);
      assert.throws(() => net.export(path.join(dir, 'o'), { format: 'mxnet', opset: 17 } as never), /option 'opset' applies to the ONNX artifact only/);
      assert.throws(() => net.export(path.join(dir, 'o.onnx'), { epoch: 1 } as never), /option 'epoch' applies to MXNet's files only: export\(path, \{ format: 'mxnet', epoch: 1 \}\)/);
      assert.throws(() => net.export(path.join(dir, 'o'), { format: 'tflite' } as never), /format must be one of 'onnx', 'mxnet', got "tflite"/);
      assert.throws(() => net.export(path.join(dir, 'o-symbol.json'), { format: 'mxnet' }), /looks like a file name; MXNet's export takes a prefix/);
      // Without a format, export still writes one ONNX artifact at the path given.
      const onnx = net.export(path.join(dir, 'plain.onnx'));
      assert.equal(onnx.path, path.join(dir, 'plain.onnx'));
      assert.ok(fs.existsSync(onnx.path));
    });
  });
});
