/** MXNet's `mx.image`: image.py's functions (image.ts), its augmenters (image-aug.ts), `CreateAugmenter` and `ImageIter` (image-iter.ts). */
export * from './image.js';
export {
  Augmenter, SequentialAug, RandomOrderAug, ResizeAug, ForceResizeAug, RandomCropAug, RandomSizedCropAug, CenterCropAug, BrightnessJitterAug,
  ContrastJitterAug, SaturationJitterAug, HueJitterAug, ColorJitterAug, LightingAug, ColorNormalizeAug, RandomGrayAug, HorizontalFlipAug, CastAug,
  type AugmenterLike,
} from './image-aug.js';
export { CreateAugmenter, ImageIter, type CreateAugmenterOptions, type ImageIterOptions } from './image-iter.js';
