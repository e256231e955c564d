/** MXNet 1.x's `mx.mod`: `Module`, `BucketingModule` and `BaseModule` with their option types. */
export * from './module.js';
export { BucketingModule, type BucketingModuleOptions, type BucketKey, type SymGen } from './bucketing-module.js';
