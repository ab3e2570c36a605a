/**
 * A cursor over a feature vector: the structured encoders write their blocks through it, so the
 * layout (and the size) is the order of the calls.
 */
export class FeatureWriter {
  private i: number;

  constructor(readonly out: Float32Array, readonly start: number) {
    this.i = start;
  }

  /** Slots written so far. */
  get written(): number {
    return this.i - this.start;
  }

  put(x: number): void {
    this.out[this.i++] = x;
  }

  flag(b: boolean): void {
    this.out[this.i++] = b ? 1 : 0;
  }

  /** A count squashed into [0, 1): c / (1 + c). */
  count(c: number): void {
    this.out[this.i++] = c > 0 ? c / (1 + c) : 0;
  }

  /** `n` slots, slot `k` set (none set when k is outside [0, n)). */
  oneHot(k: number, n: number): void {
    this.out.fill(0, this.i, this.i + n);
    if (k >= 0 && k < n) this.out[this.i + k] = 1;
    this.i += n;
  }

  mask(mask: readonly boolean[]): void {
    for (let a = 0; a < mask.length; a++) this.out[this.i++] = mask[a] ? 1 : 0;
  }
}
