/**
 * The `gluon.data.vision.transforms` namespace: MXNet's image transforms,
 * from their three files (tensor conversion and composition, geometry,
 * color).
 */
export * from './vision.js';
export * from './vision-resize.js';
export * from './vision-color.js';
