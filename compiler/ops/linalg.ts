/** linalg operators (being written). */
export const LINALG_OPS = {} as const;
