/**
 * The extensions of a model file (`compile` and `inspect` take one): in a
 * file of its own, so that `inspect` tells a model file from an artifact
 * without loading cli/model-file.ts, which loads the compiler.
 */
export const MODEL_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];
