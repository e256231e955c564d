/**
 * Artifacts for the tests of size constraints (runtime/dim-expr.ts): the
 * issue's convolution + pooling network, and manifests rewritten by python's
 * onnx package (an artifact from before constraints, a broken constraint).
 */
import assert from 'node:assert/strict';
import { runPython } from './python-server.js';
import { gluon, nd, random } from 'gluonc';

const { nn } = gluon;

/** The model: a 1 x 1 convolution, then a 5 x 5 max pooling (stride 5). */
export function poolNet(): gluon.HybridBlock {
  random.seed(3);
  const net = new nn.HybridSequential();
  net.add(new nn.Conv2D(3, 1), new nn.MaxPool2D({ poolSize: 5 }));
  net.initialize();
  net.call(nd.ones([1, 3, 9, 9]));
  return net;
}

/** Rewrites the manifest of `file` (python's onnx package) with `edit` applied to its JSON; writes `out`. */
export function editManifest(file: string, out: string, edit: string): void {
  const r = runPython(`
import json, sys, onnx
m = onnx.load(sys.argv[1])
for p in m.metadata_props:
    if p.key == 'gluonc.manifest':
        j = json.loads(p.value)
        ${edit}
        p.value = json.dumps(j)
onnx.save(m, sys.argv[2])
`, { args: [file, out] });
  assert.equal(r.status, 0, r.stderr);
}
