/** `gluon.data.vision`: image transforms (MXNet's `gluon.data.vision.transforms`). */
export * as transforms from './vision-transforms.js';
