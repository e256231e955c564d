/**
 * The `gluon.data.vision.transforms` namespace: MXNet's image transforms,
 * from their files (tensor conversion and composition, geometry, rotation,
 * color).
 */
export * from './vision.js';
export * from './vision-resize.js';
export * from './vision-rotate.js';
export * from './vision-color.js';
export * from './vision-compose.js';
