/** The losses of `gluon.loss` (MXNet Gluon's definitions and defaults). */
export { Loss, applyWeighting, optionalTensor, type LossOptions } from './loss.js';
export { L2Loss } from './l2-loss.js';
export { L1Loss } from './l1-loss.js';
export { SoftmaxCrossEntropyLoss, SoftmaxCELoss, type SoftmaxCrossEntropyLossOptions } from './softmax-cross-entropy-loss.js';
export { SigmoidBinaryCrossEntropyLoss, SigmoidBCELoss, type SigmoidBinaryCrossEntropyLossOptions } from './sigmoid-binary-cross-entropy-loss.js';
export { HuberLoss, type HuberLossOptions } from './huber-loss.js';
export { KLDivLoss, type KLDivLossOptions } from './kl-div-loss.js';
export { HingeLoss, SquaredHingeLoss, type HingeLossOptions } from './hinge-loss.js';
export { LogisticLoss, type LogisticLossOptions } from './logistic-loss.js';
export { PoissonNLLLoss, type PoissonNLLLossOptions } from './poisson-nll-loss.js';
export { TripletLoss, CosineEmbeddingLoss, type MarginLossOptions } from './embedding-losses.js';
export { CTCLoss, type CTCLossOptions } from './ctc-loss.js';
