import { nd, gluon, random } from 'gluonc';
import fs from 'node:fs';
const { nn } = gluon;
class Ops extends gluon.HybridBlock {
  ln = new nn.LayerNorm(); gelu = new nn.GELU(); elu = new nn.ELU(0.5); swish = new nn.Swish(); emb = new nn.Embedding(7, 6);
  inorm = new nn.InstanceNorm(); gn = new nn.GroupNorm({ numGroups: 2 }); dc = new nn.Conv2DTranspose(2, 2, { strides: 2 }); ap = new nn.AvgPool2D(2, { padding: 1, countIncludePad: false });
  hybridForward(F: gluon.F, x: gluon.Tensor, idx: gluon.Tensor) {
    let y = this.ln.call(x) as gluon.Tensor;             // [N, 4, 6]
    y = F.add(this.gelu.call(y), this.elu.call(y));
    y = F.add(y, this.swish.call(y));
    const e = this.emb.call(idx) as gluon.Tensor;        // [N, 4, 6]
    y = F.broadcastAdd(y, F.sum(e, { axis: 1, keepdims: true }));
    const t = F.transpose(y, { axes: [0, 2, 1] });       // [N, 6, 4]
    const d = F.batchDot(y, t);                           // [N, 4, 4]
    const s = F.split(d, { numOutputs: 2, axis: 2 }) as gluon.Tensor[];
    const st = F.stack(s[0]!, s[1]!, { axis: 1 });          // [N, 2, 4, 2]
    const c = F.clip(F.sliceAxis(st, { axis: 3, begin: 0, end: 1 }), { aMin: -3, aMax: 3 });
    let z = F.expandDims(F.mean(c, { axis: 3 }), { axis: 1 });   // [N,1,2,4]
    z = F.maximum(F.power(F.abs(z), 0.5), 0.1);
    z = F.where(F.greater(z, 0.4), z, F.mul(F.neg(z), 2));
    const g = this.gn.call(F.tile(z, { reps: [1, 4, 1, 1] })) as gluon.Tensor;  // [N,4,2,4]
    const i = this.inorm.call(g) as gluon.Tensor;
    const dc = this.dc.call(i) as gluon.Tensor;           // [N,2,4,8]
    const p = this.ap.call(dc) as gluon.Tensor;
    return [F.logSoftmax(F.flatten(p), { axis: -1 }), F.slice(F.exp(F.sqrt(F.square(d))), { begin: [null, 1], end: [null, 3] })];
  }
}
random.seed(5);
const net = new Ops(); net.initialize();
const x = nd.random.uniform(-1, 1, [2, 4, 6]); const idx = nd.array([[1, 2, 3, 6], [0, 0, 5, 4]]);
const want = net.call(x, idx) as nd.NDArray[];
const r = net.export('/tmp/mxe/ops', { format: 'mxnet' });
const g = JSON.parse(fs.readFileSync(r.symbolFile, 'utf8'));
console.log(g.nodes.filter((n: any) => n.op !== 'null').map((n: any) => n.op).join(' '));
const back = gluon.SymbolBlock.imports(r.symbolFile, ['data0', 'data1'], r.paramsFile);
const got = back.call(x, idx) as nd.NDArray[];
for (let k = 0; k < 2; k++) { const a = want[k]!.data(), b = got[k]!.data(); let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!)); console.log(want[k]!.shape, got[k]!.shape, m); }
