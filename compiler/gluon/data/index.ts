/** `gluon.data`: datasets and the mini-batch loader. */
export { Dataset, SimpleDataset, ArrayDataset, type DatasetArray } from './dataset.js';
export { RecordFileDataset } from './record-dataset.js';
export { DataLoader, type DataLoaderOptions, type LastBatch, type DatasetLike } from './dataloader.js';
export { defaultBatchify } from './batchify.js';
export { SequentialSampler, RandomSampler, BatchSampler, type Sampler, type BatchSamplerLike } from './sampler.js';
export * as batchify from './batchify-fns.js';
export type { BatchifyFn, PadOptions, StackOptions } from './batchify-fns.js';
export * as vision from './vision-index.js';
