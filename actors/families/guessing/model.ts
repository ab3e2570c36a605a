import type { GuessingScenario } from '../../../scenarios/families/guessing.js';
import type { UserStyle } from '../../../scenarios/base.js';
import type { Act } from '../../acts.js';

/**
 * The data model shared by the answerer, verifier, view and strategies: persona and state types,
 * and a per-scenario compiled index (built once, cached by scenario object) for the hot path.
 */

/** The hidden persona: who answers and what they think of (plain JSON). */
export interface GuessingPersona {
  /** The item they think of (its name). */
  readonly item: string;
  /** Probability that a clear answer is wrong. */
  readonly noise: number;
  /** Probability that an answer is vague ("hmm, sort of"). */
  readonly vagueness: number;
  /** Probability of dropping an unasked hint with a reply. */
  readonly volunteer: number;
  readonly style: UserStyle;
  /** Patience at the start, in question-equivalents; the user leaves when it runs out. */
  readonly patience: number;
}

/** The hidden episode state (small; replaced, never mutated). */
export interface GuessingState {
  /** Patience left; the user leaves when it reaches 0. */
  readonly patience: number;
  readonly questions: number;
  readonly wrongGuesses: number;
  /** The agent named the item. */
  readonly found: boolean;
  /** The user has already urged the agent to guess (they say it once). */
  readonly restless: boolean;
  /** Attribute indices the user has stated clearly (answered or hinted), so hints are new facts. */
  readonly said: readonly number[];
}

/** A user's answer to a question. */
export type Answer = 'yes' | 'no' | 'maybe';

/** A scenario indexed for the hot path. Action i < nAttr is ask(attribute i); action nAttr + j is guess(item j). */
export interface Compiled {
  readonly actions: readonly Act[];
  readonly nAttr: number;
  readonly nItems: number;
  readonly attrIndex: ReadonlyMap<string, number>;
  readonly itemIndex: ReadonlyMap<string, number>;
  /** `truth[item * nAttr + attr]`: 1 holds, -1 does not, 0 only partly. */
  readonly truth: Int8Array;
  /** Item popularity weights as declared. */
  readonly weights: readonly number[];
  /** log of the normalised weights (the prior the heuristic starts from). */
  readonly logPrior: Float64Array;
  /** Attribute indices, the most even split of the prior first (the heuristic's fixed question order). */
  readonly askOrder: readonly number[];
  /** How each item is named in a sentence. */
  readonly say: readonly string[];
}

const cache = new WeakMap<GuessingScenario, Compiled>();

export function compile(s: GuessingScenario): Compiled {
  let c = cache.get(s);
  if (!c) {
    c = build(s);
    cache.set(s, c);
  }
  return c;
}

function build(s: GuessingScenario): Compiled {
  const nAttr = s.attributes.length;
  const nItems = s.items.length;
  const attrIndex = new Map(s.attributes.map((a, i) => [a.name, i]));
  const itemIndex = new Map(s.items.map((it, i) => [it.name, i]));
  const truth = new Int8Array(nItems * nAttr).fill(-1);
  s.items.forEach((it, i) => {
    for (const a of it.has) truth[i * nAttr + need(attrIndex, a, it.name)] = 1;
    for (const a of it.partly) truth[i * nAttr + need(attrIndex, a, it.name)] = 0;
  });
  const weights = s.items.map((it) => it.weight);
  const total = weights.reduce((a, b) => a + b, 0);
  const logPrior = Float64Array.from(weights, (w) => Math.log(w / total));
  // P(yes) under the prior, a partly counting half; the closest to 1/2 splits best on average.
  const balance = s.attributes.map((_, a) => {
    let p = 0;
    for (let i = 0; i < nItems; i++) p += (weights[i] / total) * (truth[i * nAttr + a] + 1) / 2;
    return Math.abs(p - 0.5);
  });
  const askOrder = s.attributes.map((_, a) => a).sort((x, y) => balance[x] - balance[y] || x - y);
  const actions: Act[] = [
    ...s.attributes.map((a) => ({ type: 'ask', args: { attribute: a.name } })),
    ...s.items.map((it) => ({ type: 'guess', args: { item: it.name } })),
  ];
  return { actions, nAttr, nItems, attrIndex, itemIndex, truth, weights, logPrior, askOrder, say: s.items.map((it) => it.say ?? it.name) };
}

function need(index: ReadonlyMap<string, number>, name: string, item: string): number {
  const i = index.get(name);
  if (i === undefined) throw new Error(`item '${item}' refers to unknown attribute '${name}'; validate the scenario with Scenario.parse first`);
  return i;
}

/** The attribute index an act names, with a clear error for an act from another scenario. */
export function attributeOf(c: Compiled, act: { readonly args?: Readonly<Record<string, unknown>> }): number {
  const name = act.args?.attribute;
  const i = typeof name === 'string' ? c.attrIndex.get(name) : undefined;
  if (i === undefined) throw new Error(`unknown attribute ${JSON.stringify(name)} in act; expected one of: ${[...c.attrIndex.keys()].join(', ')}`);
  return i;
}

/** The item index an act names, with a clear error for an act from another scenario. */
export function itemOf(c: Compiled, act: { readonly args?: Readonly<Record<string, unknown>> }, key = 'item'): number {
  const name = act.args?.[key];
  const i = typeof name === 'string' ? c.itemIndex.get(name) : undefined;
  if (i === undefined) throw new Error(`unknown item ${JSON.stringify(name)} in act; expected one of: ${[...c.itemIndex.keys()].join(', ')}`);
  return i;
}
