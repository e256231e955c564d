import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { curveSvg, writeCurve } from '../../../models/examples/curve.js';
import { runPython } from '../../helpers/python-server.js';

interface Parsed {
  root: string;
  polylines: { series: string; points: [number, number][] }[];
  texts: string[];
  width: number;
  height: number;
}

/** Parses an SVG document with Python's XML parser (an independent, strict reader). */
function parseSvg(svg: string): Parsed {
  const script = String.raw`
import json, sys
import xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
ns = '{http://www.w3.org/2000/svg}'
polys = [{"series": p.get("data-series"), "points": [[float(v) for v in xy.split(",")] for xy in p.get("points").split()]} for p in root.iter(ns + "polyline")]
texts = ["".join(t.itertext()) for t in root.iter(ns + "text")]
json.dump({"root": root.tag, "polylines": polys, "texts": texts, "width": float(root.get("width")), "height": float(root.get("height"))}, sys.stdout)
`;
  const r = runPython(script, { input: svg });
  if (r.status !== 0) throw new Error(`the SVG is not well-formed XML: ${r.stderr}`);
  return JSON.parse(r.stdout) as Parsed;
}

describe('models/examples/curve', () => {
  const loss = [2.3, 0.9, 0.5, 0.31, 0.2];
  const acc = [0.81, 0.9, 0.93, 0.95, 0.96];

  it('writes well-formed SVG with one polyline per series and one point per epoch, inside the canvas', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gluonc-curve-'));
    try {
      const file = join(dir, 'c.svg');
      writeCurve(file, [{ name: 'training loss', values: loss }, { name: 'held-out accuracy', values: acc, axis: 'right' }], {
        title: 'MLP <on> MNIST & co',
        leftLabel: 'loss',
        rightLabel: 'accuracy',
      });
      const p = parseSvg(readFileSync(file, 'utf8'));
      assert.equal(p.root, '{http://www.w3.org/2000/svg}svg');
      assert.deepEqual(p.polylines.map((l) => l.series), ['training loss', 'held-out accuracy']);
      for (const l of p.polylines) {
        assert.equal(l.points.length, loss.length, l.series);
        for (const [x, y] of l.points) assert.ok(x >= 0 && x <= p.width && y >= 0 && y <= p.height, `${l.series}: (${x}, ${y}) outside the canvas`);
        for (let i = 1; i < l.points.length; i++) assert.ok(l.points[i]![0] > l.points[i - 1]![0], 'x grows with the epoch');
      }
      // Loss goes down (SVG y grows downwards), accuracy up.
      const [lp, ap] = p.polylines;
      for (let i = 1; i < loss.length; i++) {
        assert.ok(lp!.points[i]![1] > lp!.points[i - 1]![1]);
        assert.ok(ap!.points[i]![1] < ap!.points[i - 1]![1]);
      }
      assert.ok(p.texts.includes('MLP <on> MNIST & co'), 'title escaped and read back');
      assert.ok(p.texts.includes('epoch') && p.texts.includes('loss') && p.texts.includes('accuracy'));
      assert.ok(p.texts.some((t) => /%$/.test(t)), 'accuracy ticks as percentages');
      assert.ok(p.texts.includes('0.0') || p.texts.includes('0'), 'the loss axis starts at 0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('puts values in proportion on their axis', () => {
    const p = parseSvg(curveSvg([{ name: 'a', values: [0, 1, 2, 4] }]));
    const ys = p.polylines[0]!.points.map(([, y]) => y);
    // Equal steps in value are equal steps in y: (y0 - y1) = (y1 - y2) = (y2 - y3) / 2.
    assert.ok(Math.abs(ys[0]! - ys[1]! - (ys[1]! - ys[2]!)) < 0.02);
    assert.ok(Math.abs(2 * (ys[1]! - ys[2]!) - (ys[2]! - ys[3]!)) < 0.02);
  });

  it('draws a single epoch as one point', () => {
    const p = parseSvg(curveSvg([{ name: 'loss', values: [0.5] }, { name: 'acc', values: [0.9], axis: 'right' }]));
    assert.deepEqual(p.polylines.map((l) => l.points.length), [1, 1]);
  });

  it('refuses series of different lengths, empty ones and non-finite values, naming the series', () => {
    assert.throws(() => curveSvg([{ name: 'loss', values: [1, 2] }, { name: 'acc', values: [1] }]), /series 'acc' has 1 values, expected 2/);
    assert.throws(() => curveSvg([{ name: 'loss', values: [] }]), /series 'loss' has 0 values/);
    assert.throws(() => curveSvg([{ name: 'loss', values: [1, NaN] }]), /series 'loss' has a non-finite value NaN at epoch 2/);
    assert.throws(() => curveSvg([]), /no series/);
  });
});
