/** nn operators (being written). */
export const NN_OPS = {} as const;
