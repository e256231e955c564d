/** `gluon.data.vision`: image transforms (MXNet's `gluon.data.vision.transforms`) and `ImageFolderDataset`. */
export * as transforms from './vision-transforms.js';
export { ImageFolderDataset } from './image-folder.js';
