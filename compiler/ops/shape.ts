/** shape operators (being written). */
export const SHAPE_OPS = {} as const;
