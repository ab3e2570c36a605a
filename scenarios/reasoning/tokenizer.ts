import type { Vocabulary } from './schema.js';

/** A symbol or id outside the vocabulary. */
export class TokenizeError extends Error {
  override readonly name = 'TokenizeError';
}

/**
 * Strings ⇄ token ids over a scenario's declared vocabulary (id = position in `vocabulary.tokens`).
 * Text is split at white space, then each piece greedily into the longest tokens, so `12+3` and
 * `1 2 + 3` encode alike; {@link decode} joins tokens with single spaces, so decode → encode is exact.
 *
 * @example
 * const tok = new Tokenizer(scenario.vocabulary);
 * tok.encode('<think> 7 + 5 </think>'); // ids
 * tok.decode(tok.encode('12+3'));        // '1 2 + 3'
 */
export class Tokenizer {
  readonly tokens: readonly string[];
  private readonly ids: ReadonlyMap<string, number>;
  private readonly longest: number;
  readonly pad: number;
  readonly eos: number;
  readonly think: number;
  readonly thinkEnd: number;
  readonly answer: number;
  readonly answerEnd: number;
  /** The step separator that splits a thought into segments. */
  readonly sep: number;

  constructor(vocabulary: Vocabulary) {
    this.tokens = [...vocabulary.tokens];
    const ids = new Map<string, number>();
    this.tokens.forEach((t, i) => {
      if (/\s/.test(t) || t === '') throw new TokenizeError(`token ${i} ('${t}') is empty or has white space`);
      if (ids.has(t)) throw new TokenizeError(`token '${t}' appears twice in the vocabulary`);
      ids.set(t, i);
    });
    this.ids = ids;
    this.longest = Math.max(...this.tokens.map((t) => t.length));
    this.pad = this.id('<pad>');
    this.eos = this.id('<eos>');
    this.think = this.id('<think>');
    this.thinkEnd = this.id('</think>');
    this.answer = this.id('<answer>');
    this.answerEnd = this.id('</answer>');
    this.sep = this.id(vocabulary.separator);
  }

  get size(): number {
    return this.tokens.length;
  }

  /** The id of one token; an unknown one throws. */
  id(symbol: string): number {
    const i = this.ids.get(symbol);
    if (i === undefined) throw new TokenizeError(`unknown symbol '${symbol}'; not in the vocabulary (${this.tokens.length} tokens)`);
    return i;
  }

  has(symbol: string): boolean {
    return this.ids.has(symbol);
  }

  /** Text (or a list of symbols, one token each) → ids. */
  encode(input: string | readonly string[]): number[] {
    if (typeof input !== 'string') return input.map((s) => this.id(s));
    const out: number[] = [];
    const re = /\S+/g;
    for (let m = re.exec(input); m; m = re.exec(input)) {
      const piece = m[0];
      let i = 0;
      while (i < piece.length) {
        let len = Math.min(this.longest, piece.length - i);
        while (len > 0 && !this.ids.has(piece.slice(i, i + len))) len--;
        if (len === 0) {
          throw new TokenizeError(`unknown symbol '${piece[i]}' at character ${m.index + i + 1} of '${input.length > 60 ? input.slice(0, 57) + '...' : input}'; not in the vocabulary`);
        }
        out.push(this.ids.get(piece.slice(i, i + len))!);
        i += len;
      }
    }
    return out;
  }

  /** Ids → their symbols. */
  symbols(ids: readonly number[]): string[] {
    return ids.map((id, k) => {
      if (!Number.isInteger(id) || id < 0 || id >= this.tokens.length) throw new TokenizeError(`id ${id} at position ${k} is outside the vocabulary (0..${this.tokens.length - 1})`);
      return this.tokens[id];
    });
  }

  /** Ids → text, tokens separated by single spaces. */
  decode(ids: readonly number[]): string {
    return this.symbols(ids).join(' ');
  }
}
