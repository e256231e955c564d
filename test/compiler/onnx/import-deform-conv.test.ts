/**
 * ONNX's DeformConv (opset 19) imported onto ModulatedDeformableConvolution
 * (compiler/onnx/import/nn.ts, compiler/ops/deformable-conv.ts), against an
 * independent float64 PyTorch implementation of ONNX's definition (bilinear
 * taps by torch.gather, zero outside the image; torch.autograd for the
 * gradients, MXNet's rule that a sample outside (-1, size) gives its offsets
 * no gradient), which the script checks against onnxruntime and ONNX's
 * reference implementation: asymmetric pads, stride, a symbolic batch,
 * groups with offset groups and dilation, absent mask and bias, and samples
 * exactly on pixels, on the border and at -1 and the size (the kinks). The
 * output and the gradients of the input, offsets, mask, weight and bias,
 * eager and hybridized; the hybridized block exported again passes
 * onnx.checker and runs in onnxruntime to the same output. A 3-D DeformConv
 * is refused by name. Skipped, with a message, without python3's torch and onnx.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { autograd, gluon, nd } from 'gluonc';
import { readModel } from '../../../compiler/onnx/index.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { checkOnnxFiles } from '../../helpers/onnx-checker.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';
import { model } from './ort-compare.js';

const SCRIPT = String.raw`
import os, sys, numpy as np, torch, onnx, onnxruntime as ort
from onnx import helper, TensorProto, numpy_helper
from onnx.reference import ReferenceEvaluator
out = sys.argv[1]
rs = np.random.RandomState(0)
f64 = torch.float64

def deform(x, off, mask, w, b, kernel, stride, dil, pads, group, og):
    N, C, H, W = x.shape; O = w.shape[0]; kh, kw = kernel; Ho, Wo = off.shape[2:]; cg = C // og
    off = off.reshape(N, og, kh, kw, 2, Ho, Wo)
    mask = torch.ones(N, og, kh, kw, Ho, Wo, dtype=f64) if mask is None else mask.reshape(N, og, kh, kw, Ho, Wo)
    ar = lambda n: torch.arange(n, dtype=f64)
    py = (ar(Ho) * stride[0] - pads[0]).view(1, 1, Ho, 1) + (ar(kh) * dil[0]).view(kh, 1, 1, 1) + off[:, :, :, :, 0]
    px = (ar(Wo) * stride[1] - pads[1]).view(1, 1, 1, Wo) + (ar(kw) * dil[1]).view(1, kw, 1, 1) + off[:, :, :, :, 1]
    inside = (py > -1) & (py < H) & (px > -1) & (px < W)
    py, px = torch.where(inside, py, py.detach()), torch.where(inside, px, px.detach())
    y0, x0 = torch.floor(py), torch.floor(px)
    ty, tx = py - y0, px - x0
    table = x.reshape(N, og, cg, H * W)
    val = 0
    for a in (0, 1):
        for c in (0, 1):
            yy, xx = y0 + a, x0 + c
            valid = ((yy >= 0) & (yy <= H - 1) & (xx >= 0) & (xx <= W - 1)).to(f64)
            idx = (yy.clamp(0, H - 1) * W + xx.clamp(0, W - 1)).long().reshape(N, og, 1, -1).expand(N, og, cg, -1)
            taps = torch.gather(table, 3, idx).reshape(N, og, cg, kh, kw, Ho, Wo)
            wgt = (ty if a else 1 - ty) * (tx if c else 1 - tx) * valid
            val = val + taps * wgt.unsqueeze(2)
    cols = (val * mask.unsqueeze(2)).reshape(N, group, C // group * kh * kw, Ho * Wo)
    y = torch.einsum('goj,ngjl->ngol', w.reshape(group, O // group, -1), cols).reshape(N, O, Ho, Wo)
    return y if b is None else y + b.view(1, -1, 1, 1)

# Offsets (dy, dx) for the kinks case (H = 4, W = 5): whole pixels, the border, exactly -1 and the size, fractions.
EDGES = np.array([0, 1, -1, 3, 4, -2, 0.5, 2, -0.5, 1, 0, 4.5, -1, 1, 2, -0.25], np.float32)
# name: x shape (N as the batch's name where symbolic), w shape, kernel, strides, dilations, pads, group, offset_group, mask, bias
CASES = {
    'asymmetric': ([2, 3, 5, 6], True, [4, 3, 3, 3], [3, 3], [1, 2], [1, 1], [1, 0, 0, 2], 1, 1, True, True),
    'groups': ([1, 4, 6, 6], False, [6, 2, 2, 2], [2, 2], [1, 1], [2, 1], [1, 1, 1, 1], 2, 2, False, False),
    'kinks': ([1, 2, 4, 5], False, [3, 2, 1, 2], [1, 2], [1, 1], [1, 1], [0, 0, 0, 0], 1, 1, True, True),
}
for name, (xs, sym, ws, k, st, dl, pads, group, og, has_mask, has_bias) in CASES.items():
    N, C, H, W = xs
    Ho = (H + pads[0] + pads[2] - dl[0] * (k[0] - 1) - 1) // st[0] + 1
    Wo = (W + pads[1] + pads[3] - dl[1] * (k[1] - 1) - 1) // st[1] + 1
    x = rs.randn(*xs).astype(np.float32)
    offs = [N, og * k[0] * k[1] * 2, Ho, Wo]
    off = (rs.rand(*offs) * 4 - 2).astype(np.float32) if name != 'kinks' else EDGES[np.arange(int(np.prod(offs))) % len(EDGES)].reshape(offs)
    mask = rs.rand(N, og * k[0] * k[1], Ho, Wo).astype(np.float32)
    w = rs.randn(*ws).astype(np.float32); b = rs.randn(ws[0]).astype(np.float32)
    batch = 'N' if sym else N
    ins = [helper.make_tensor_value_info('x', TensorProto.FLOAT, [batch, C, H, W]), helper.make_tensor_value_info('offset', TensorProto.FLOAT, [batch] + offs[1:])]
    if has_mask: ins.append(helper.make_tensor_value_info('mask', TensorProto.FLOAT, [batch] + list(mask.shape[1:])))
    inits = [numpy_helper.from_array(w, 'w')] + ([numpy_helper.from_array(b, 'b')] if has_bias else [])
    node = helper.make_node('DeformConv', ['x', 'w', 'offset', 'b' if has_bias else '', 'mask' if has_mask else ''], ['y'], kernel_shape=k, strides=st, dilations=dl, pads=pads, group=group, offset_group=og)
    g = helper.make_graph([node], name, ins, [helper.make_tensor_value_info('y', TensorProto.FLOAT, [batch, ws[0], Ho, Wo])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 19)], ir_version=9)
    onnx.checker.check_model(m, full_check=True)
    d = os.path.join(out, name); os.makedirs(d)
    onnx.save(m, os.path.join(d, 'model.onnx'))
    feeds = {'x': x, 'offset': off, **({'mask': mask} if has_mask else {})}
    t = {k2: torch.tensor(v.astype(np.float64), requires_grad=True) for k2, v in (('x', x), ('offset', off), ('mask', mask), ('w', w), ('b', b))}
    y = deform(t['x'], t['offset'], t['mask'] if has_mask else None, t['w'], t['b'] if has_bias else None, k, st, dl, pads, group, og)
    got = ort.InferenceSession(m.SerializeToString(), providers=['CPUExecutionProvider']).run(None, feeds)[0]
    ref = ReferenceEvaluator(m).run(None, feeds)[0]
    assert np.allclose(got, y.detach().numpy(), atol=1e-4) and np.allclose(ref, y.detach().numpy(), atol=1e-4), name
    r = torch.tensor(rs.randn(*y.shape))
    (y * r).sum().backward()
    for k2, v in list(feeds.items()) + [('r', r.numpy().astype(np.float32)), ('y', y.detach().numpy())] + [('g' + k2, t[k2].grad.numpy()) for k2 in ['x', 'offset', 'w'] + (['mask'] if has_mask else []) + (['b'] if has_bias else [])]:
        np.save(os.path.join(d, f'{k2}.npy'), v)
`;

describe("imported DeformConv: a float64 PyTorch implementation of ONNX's definition", function () {
  this.timeout(300_000);
  const fx = pythonFixtures('deformconv', ['torch', 'onnx', 'onnxruntime'], SCRIPT);

  for (const name of ['asymmetric', 'groups', 'kinks']) {
    for (const hybrid of [false, true]) {
      it(`${name} (${hybrid ? 'hybridized, then exported again' : 'eager'}): output and the gradients of the input, offsets, mask, weight and bias`, async () => {
        const dir = join(fx.dir, name);
        const ref = (k: string) => readNpy(join(dir, `${k}.npy`));
        const hasMask = name !== 'groups';
        const net = gluon.SymbolBlock.imports(join(dir, 'model.onnx'));
        if (hybrid) net.hybridize();
        const ins = ['x', 'offset', ...(hasMask ? ['mask'] : [])].map((k) => new nd.NDArray(ref(k)));
        for (const v of ins) v.attachGrad();
        let y: nd.NDArray | undefined;
        autograd.record(() => {
          y = net.call(...ins) as nd.NDArray;
          return nd.sum(nd.mul(y, new nd.NDArray(ref('r'))));
        }).backward();
        assert.deepEqual(y!.shape, ref('y').shape);
        assertClose(tensorToNumbers(y!._host), tensorToNumbers(ref('y')), 'output');
        ['x', 'offset', 'mask'].slice(0, ins.length).forEach((k, i) => assertClose(tensorToNumbers(ins[i]!.grad._host), tensorToNumbers(ref(`g${k}`)), `${k} gradient`));
        const params = net.collectParams();
        for (const p of name === 'groups' ? ['w'] : ['w', 'b']) assertClose(tensorToNumbers(params.get(p).grad()._host), tensorToNumbers(ref(`g${p}`)), `${p} gradient`);
        if (!hybrid) return;
        const file = join(dir, 'again.onnx');
        net.export(file);
        assert.deepEqual(checkOnnxFiles([file]), [null]);
        const session = await ort.InferenceSession.create(file);
        try {
          const feeds = Object.fromEntries(session.inputNames.map((n, i) => [n, new ort.Tensor('float32', ins[i]!.data() as Float32Array, ins[i]!.shape)]));
          const res = await session.run(feeds);
          assertClose(Array.from(res[session.outputNames[0]!]!.data as Float32Array), tensorToNumbers(ref('y')), 're-exported file in onnxruntime');
        } finally {
          await session.release();
        }
      });
    }
  }

  it('refuses a 3-D DeformConv by name', () => {
    const bytes = model([{ opType: 'DeformConv', input: ['x', 'w', 'o'], output: ['y'], name: 'dc' }], [['x', [1, 2, 3, 3, 3]], ['w', [2, 2, 1, 1, 1]], ['o', [1, 3, 3, 3, 3]]], [['y', 'float32']], [], 19);
    assert.throws(() => readModel(bytes), { message: "readModel: model bytes: ONNX operator 'DeformConv' (node 'dc') has no gluonc equivalent: input of rank 5 (gluonc's deformable convolution is 2-D: [N, C, H, W])" });
  });
});
