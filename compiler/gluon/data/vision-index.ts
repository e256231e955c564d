/** `gluon.data.vision`: image transforms (MXNet's `gluon.data.vision.transforms`), `ImageFolderDataset` and `ImageRecordDataset`. */
export * as transforms from './vision-transforms.js';
export { ImageFolderDataset, ImageListDataset } from './image-folder.js';
export { ImageRecordDataset } from './record-dataset.js';
export { MNIST, FashionMNIST, CIFAR10, CIFAR100 } from './vision-datasets.js';
