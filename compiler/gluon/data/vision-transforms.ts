/**
 * The `gluon.data.vision.transforms` namespace: MXNet's image transforms,
 * from their files (tensor conversion and composition, geometry, rotation,
 * color). Named one by one: the files' helpers (crops, windows, rotation
 * kernels) are not part of it.
 */
export { ToTensor, Normalize, Cast, Compose } from './vision.js';
export { Resize, CenterCrop, RandomResizedCrop, CropResize, RandomCrop, RandomFlipLeftRight, RandomFlipTopBottom, type ImageSize } from './vision-resize.js';
export { Rotate, RandomRotation } from './vision-rotate.js';
export { adjust, RandomBrightness, RandomContrast, RandomSaturation, RandomHue, RandomColorJitter, RandomLighting } from './vision-color.js';
export { HybridCompose, RandomApply, HybridRandomApply, type Transform } from './vision-compose.js';
