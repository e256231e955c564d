/**
 * MXNet's `gluon.model_zoo`: the zoo's networks are model files of this
 * repository (models/zoo/, MXNet's vision zoo ported line by line), not part
 * of the package, and nothing is downloaded; reading anything here (d2l's
 * `gluon.model_zoo.vision.resnet18_v2(pretrained=True)`) is an Error saying
 * where they are and how their `.params` files load.
 */
const WHERE =
  "gluon.modelZoo: the model zoo is models/zoo/ of the gluonc repository (import { resnet18_v2 } from './models/zoo/resnet.js'; vgg.ts, mobilenet.ts, densenet.ts, squeezenet.ts, alexnet.ts, inception.ts), " +
  "not part of the package, and there is no pretrained download: build the net, then net.loadParameters('<the zoo .params file>')";

/** What printing, `util.inspect`, JSON and `await` read. */
const QUIET = new Set(['then', 'constructor', 'toJSON', 'toString', 'valueOf', 'inspect', 'prototype', '__proto__', 'nodeType', 'asymmetricMatch', '$$typeof']);

/** Every other property read throws the Error above (`vision`, `getModel`, ...). */
export const modelZoo: { readonly vision: never; readonly [name: string]: never } = new Proxy(Object.freeze({}) as never, {
  get(_t, key) {
    if (typeof key === 'symbol' || QUIET.has(key)) return undefined;   // printing, inspection and await stay quiet
    throw new Error(`${WHERE} (read '${key}')`);
  },
});
