/** MXNet's `mx.io`: `NDArrayIter` and what it yields (io.ts), the C++ iterators `MNISTIter`, `CSVIter`, `ImageRecordIter` (mapped onto `image.ImageIter`), and io.py's `ResizeIter`, `PrefetchingIter`. */
export * from './io.js';
export { ImageRecordIter, type ImageRecordIterOptions } from './image-record-iter.js';
export { MNISTIter, type MNISTIterOptions } from './mnist-iter.js';
export { CSVIter, type CSVIterOptions } from './csv-iter.js';
export { PrefetchingIter, ResizeIter, type DataIterLike } from './iter-wrappers.js';
export { ImageDetRecordIter, type ImageDetRecordIterOptions } from './image-det-record-iter.js';
