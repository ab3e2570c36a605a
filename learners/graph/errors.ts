/**
 * The graph compiler's one error type. `code` says what kind of mistake it is, so callers and
 * tests can branch on it; the message names the operator, the node and what to do.
 */
export type GraphErrorCode =
  | 'shape' // operands whose shapes do not fit the operator
  | 'dtype' // operands of the wrong element type
  | 'no-grad-rule' // backward reached an operator that has no gradient rule
  | 'not-differentiable' // a gradient was asked for something that has none
  | 'name' // a duplicate or unknown input/parameter/output name
  | 'unsupported' // a valid request the compiler does not handle (yet)
  | 'invalid'; // a bad option value

export class GraphError extends Error {
  constructor(
    readonly code: GraphErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'GraphError';
  }
}
