import type { Tokenizer } from './tokenizer.js';

/** A token index range `[start, end)` in a completion. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** A completion taken apart. Spans index the completion's ids. */
export interface ParsedCompletion {
  /** `<think> seg <sep> seg … </think> <answer> … </answer> <eos>`, then only `<pad>`. */
  readonly formatOk: boolean;
  /** What breaks the format (empty when it is ok). */
  readonly problems: readonly string[];
  /** The thought's segments (episodes of reasoning), separators excluded; empty if there is no thought. */
  readonly segments: readonly Span[];
  /** The answer's span, found even in a malformed completion when both answer tags are there. */
  readonly answer: Span | null;
  /** Tokens written: through `<eos>`, or every token but trailing `<pad>` when there is none. */
  readonly length: number;
}

/**
 * Parses completion ids. Lenient about what it extracts (segments and answer are found where
 * they can be) and strict about `formatOk`: tags in order, once each, a non-empty answer free of
 * tags, no empty segment, `<eos>` right after `</answer>` and only padding after it.
 */
export function parseCompletion(ids: readonly number[], tok: Tokenizer): ParsedCompletion {
  const problems: string[] = [];
  const eosAt = ids.indexOf(tok.eos);
  let length = eosAt >= 0 ? eosAt + 1 : ids.length;
  if (eosAt < 0) while (length > 0 && ids[length - 1] === tok.pad) length--;
  const body = ids.slice(0, eosAt >= 0 ? eosAt : length);
  const count = (id: number) => body.filter((x) => x === id).length;

  if (eosAt < 0) problems.push('no <eos>');
  else if (ids.slice(eosAt + 1).some((x) => x !== tok.pad)) problems.push('tokens after <eos>');
  for (const [id, name] of [[tok.think, '<think>'], [tok.thinkEnd, '</think>'], [tok.answer, '<answer>'], [tok.answerEnd, '</answer>']] as const) {
    const n = count(id);
    if (n !== 1) problems.push(n === 0 ? `missing ${name}` : `${name} appears ${n} times`);
  }
  if (body.includes(tok.pad)) problems.push('<pad> inside the completion');

  const thinkEnd = body.indexOf(tok.thinkEnd);
  const open = body.indexOf(tok.answer);
  const close = open >= 0 ? body.indexOf(tok.answerEnd, open + 1) : -1;
  if (body[0] !== tok.think) problems.push('the completion must start with <think>');
  if (thinkEnd >= 0 && open >= 0 && open !== thinkEnd + 1) problems.push('<answer> must follow </think> directly');
  if (close >= 0 && close !== body.length - 1) problems.push('<eos> must follow </answer> directly');

  const answer = open >= 0 && close > open ? { start: open + 1, end: close } : null;
  const special = new Set([tok.think, tok.thinkEnd, tok.answer, tok.answerEnd, tok.sep, tok.pad]);
  if (answer) {
    if (answer.end === answer.start) problems.push('the answer is empty');
    if (ids.slice(answer.start, answer.end).some((x) => special.has(x))) problems.push('a tag or separator inside the answer');
  }

  const segments: Span[] = [];
  const thoughtStart = body[0] === tok.think ? 1 : 0;
  const thoughtEnd = thinkEnd >= 0 ? thinkEnd : open >= 0 ? open : body.length;
  if (thoughtEnd > thoughtStart) {
    let start = thoughtStart;
    for (let k = thoughtStart; k <= thoughtEnd; k++) {
      if (k === thoughtEnd || ids[k] === tok.sep) {
        if (k === start) problems.push(`empty thought segment at token ${k}`);
        else segments.push({ start, end: k });
        start = k + 1;
      }
    }
  }
  return { formatOk: problems.length === 0, problems: [...new Set(problems)], segments, answer, length };
}

/** Segments and an answer (symbols) → the completion's symbols, in the format above. */
export function formatCompletion(segments: readonly (readonly string[])[], answer: readonly string[], separator: string): string[] {
  const thought = segments.flatMap((s, i) => (i ? [separator, ...s] : [...s]));
  return ['<think>', ...thought, '</think>', '<answer>', ...answer, '</answer>', '<eos>'];
}
