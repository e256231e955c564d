/** reduce operators (being written). */
export const REDUCE_OPS = {} as const;
