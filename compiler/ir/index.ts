/** The IR: values, nodes, graphs, their printer and verifier. */
export * from './types.js';
export { Value, type ValueKind } from './value.js';
export { Node, type Attrs, type AttrValue } from './node.js';
export { Graph, cloneGraph, replaceAllUses } from './graph.js';
export { printGraph, formatAttrs } from './printer.js';
export { verifyGraph, type InferFn } from './verify.js';
