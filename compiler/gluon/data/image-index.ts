/** MXNet's `mx.image`: image.py's functions (image.ts), its augmenters (image-aug.ts), `CreateAugmenter` and `ImageIter` (image-iter.ts); detection.py's augmenters (image-det-aug.ts) and `ImageDetIter` (image-det-iter.ts). */
export * from './image.js';
export {
  Augmenter, SequentialAug, RandomOrderAug, ResizeAug, ForceResizeAug, RandomCropAug, RandomSizedCropAug, CenterCropAug, BrightnessJitterAug,
  ContrastJitterAug, SaturationJitterAug, HueJitterAug, ColorJitterAug, LightingAug, ColorNormalizeAug, RandomGrayAug, HorizontalFlipAug, CastAug,
  type AugmenterLike,
} from './image-aug.js';
export { CreateAugmenter, ImageIter, type CreateAugmenterOptions, type ImageIterOptions } from './image-iter.js';
export {
  DetAugmenter, DetBorrowAug, DetRandomSelectAug, DetHorizontalFlipAug, DetRandomCropAug, DetRandomPadAug, CreateMultiRandCropAugmenter, CreateDetAugmenter,
  type DetAugmenterLike, type CreateDetAugmenterOptions,
} from './image-det-aug.js';
export { ImageDetIter, type ImageDetIterOptions } from './image-det-iter.js';
