/** MXNet's `mx.io`: `NDArrayIter` and what it yields (io.ts), and the C++ `ImageRecordIter` mapped onto `image.ImageIter` (image-record-iter.ts). */
export * from './io.js';
export { ImageRecordIter, type ImageRecordIterOptions } from './image-record-iter.js';
