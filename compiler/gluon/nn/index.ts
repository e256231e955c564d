/** The layers of `gluon.nn`, and the block classes MXNet's `gluon.nn` re-exports (`class MLP(nn.Block)`). */
export { Block } from '../block.js';
export { HybridBlock } from '../hybrid.js';
export { SymbolBlock } from '../symbol-block.js';
export { Dense, type DenseOptions } from './dense.js';
export { Sequential, HybridSequential } from './sequential.js';
export { Conv1D, Conv2D, Conv3D, Conv1DTranspose, Conv2DTranspose, Conv3DTranspose, type ConvOptions, type ConvTransposeOptions } from './conv.js';
export {
  MaxPool1D, MaxPool2D, MaxPool3D, AvgPool1D, AvgPool2D, AvgPool3D, GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D,
  GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D, type PoolOptions, type AvgPoolOptions,
} from './pool.js';
export { Concurrent, HybridConcurrent, Concatenate, HybridConcatenate, Identity, type ConcurrentOptions } from './concurrent.js';
export { Activation, Dropout, Flatten, Embedding, Lambda, HybridLambda, type ActivationName, type DropoutOptions, type EmbeddingOptions } from './basic.js';
export { LeakyReLU, PReLU, ELU, SELU, GELU, Swish, type PReLUOptions } from './activations.js';
export { BatchNorm, LayerNorm, type BatchNormOptions, type LayerNormOptions } from './norm.js';
export { GroupNorm, InstanceNorm, type GroupNormOptions, type InstanceNormOptions } from './group-norm.js';
export { MultiHeadAttention, type MultiHeadAttentionOptions } from './attention.js';
export { TransformerEncoderLayer, TransformerDecoderLayer, type TransformerLayerOptions, type TransformerEncoderLayerOptions, type TransformerDecoderLayerOptions } from './transformer.js';
export { PositionalEncoding, LearnedPositionalEmbedding, type PositionalEncodingOptions, type LearnedPositionalEmbeddingOptions } from './positional.js';
export { PixelShuffle1D, PixelShuffle2D, PixelShuffle3D } from './pixel-shuffle.js';
