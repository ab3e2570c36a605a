import type { ScenarioContext } from '../../actors/episode-core.js';
import type { Speaker } from '../../actors/acts.js';
import type { Encoder } from './encoder.js';

/** Buckets of hashed n-grams of the whole visible transcript. */
export const TEXT_HISTORY_BUCKETS = 1024;
/** Buckets of hashed n-grams of the user's last utterance alone (what was just said matters most). */
export const TEXT_LAST_BUCKETS = 256;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const SPEAKER_SEED: Record<Speaker, number> = { agent: 0x5bd1e995, user: 0x1b873593 };
const CACHE_LIMIT = 8192;

/** FNV-1a of `text[from, to)` continued from `h`. */
function fnv(text: string, from: number, to: number, h: number): number {
  for (let i = from; i < to; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c > 127;
}

/** Unsigned hashes of the speaker-tagged unigrams and bigrams of an utterance (lower-cased words). */
function ngrams(speaker: Speaker, raw: string): Uint32Array {
  const text = raw.toLowerCase();
  const words: number[] = [];
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const word = i < text.length && isWordChar(text.charCodeAt(i));
    if (word && start < 0) start = i;
    else if (!word && start >= 0) {
      words.push(fnv(text, start, i, (FNV_OFFSET ^ SPEAKER_SEED[speaker]) >>> 0));
      start = -1;
    }
  }
  const out = new Uint32Array(words.length > 0 ? 2 * words.length - 1 : 0);
  for (let k = 0; k < words.length; k++) out[k] = words[k];
  for (let k = 1; k < words.length; k++) out[words.length + k - 1] = Math.imul(words[k - 1] ^ 0x9e3779b9, FNV_PRIME) ^ words[k];
  return out;
}

/**
 * The text encoder, for any scenario: hashed, speaker-tagged word unigrams and bigrams of the
 * visible transcript, each turn's counts weighted by recency (1 + 2^-age, age in exchanges from the
 * end) and log-scaled (log1p); then the same for the user's last utterance alone; then
 * turn / maxTurns, a near-the-end flag, and the mask.
 *
 * Size: TEXT_HISTORY_BUCKETS + TEXT_LAST_BUCKETS + 2 + numActions.
 */
export function textEncoder(ctx: ScenarioContext): Encoder {
  const H = TEXT_HISTORY_BUCKETS;
  const R = TEXT_LAST_BUCKETS;
  const numActions = ctx.actions.length;
  const size = H + R + 2 + numActions;
  // Utterances recur across decisions and episodes: their n-gram hashes are cached per speaker (bounded).
  const caches: Record<Speaker, Map<string, Uint32Array>> = { agent: new Map(), user: new Map() };
  const grams = (speaker: Speaker, text: string): Uint32Array => {
    const cache = caches[speaker];
    let g = cache.get(text);
    if (!g) {
      if (cache.size >= CACHE_LIMIT) cache.clear();
      g = ngrams(speaker, text);
      cache.set(text, g);
    }
    return g;
  };
  return {
    kind: 'text',
    size,
    encode(obs, out, offset = 0) {
      if (obs.mask.length !== numActions) throw new Error(`text encoder for '${ctx.scenario.id}': the observation's mask has ${obs.mask.length} actions, the scenario ${numActions}; was it made for another scenario?`);
      out.fill(0, offset, offset + size);
      const h = obs.history;
      const n = h.length;
      for (let j = 0; j < n; j++) {
        const age = (n - 1 - j) >> 1;
        const weight = age < 30 ? 1 + 1 / (1 << age) : 1;
        const g = grams(h[j].speaker, h[j].text);
        for (let k = 0; k < g.length; k++) out[offset + (g[k] % H)] += weight;
      }
      for (let b = offset; b < offset + H; b++) if (out[b] !== 0) out[b] = Math.log1p(out[b]);
      const last = n > 0 && h[n - 1].speaker === 'user' ? h[n - 1] : null;
      if (last) {
        const g = grams('user', last.text);
        const base = offset + H;
        for (let k = 0; k < g.length; k++) out[base + (g[k] % R)] += 1;
        for (let b = base; b < base + R; b++) if (out[b] !== 0) out[b] = Math.log1p(out[b]);
      }
      let i = offset + H + R;
      out[i++] = obs.maxTurns > 0 ? obs.turn / obs.maxTurns : 0;
      out[i++] = obs.maxTurns - obs.turn <= 2 ? 1 : 0;
      for (let a = 0; a < numActions; a++) out[i++] = obs.mask[a] ? 1 : 0;
    },
  };
}
