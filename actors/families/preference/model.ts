import type { PreferenceAttribute, PreferenceScenario, PreferenceTrait } from '../../../scenarios/families/preference.js';
import type { UserStyle } from '../../../scenarios/base.js';
import type { Act, ArgValue } from '../../acts.js';

/**
 * The data model shared by the user, verifier, view and strategies: persona and state types,
 * a per-scenario compiled index (built once, cached by scenario object), utility and constraints.
 */

export type Op = 'max' | 'min' | 'eq' | 'ne';

/** A hard constraint: the item's value of `attribute` must be ≤ / ≥ / = / ≠ `value`. */
export interface Constraint {
  readonly attribute: string;
  readonly op: Op;
  readonly value: ArgValue;
}

/** A soft preference: favourite value (categorical/boolean), ideal number, or a direction. */
export interface Preference {
  readonly attribute: string;
  readonly weight: number;
  readonly kind: 'value' | 'target' | 'lower' | 'higher';
  /** The favourite value (kind 'value'), the ideal number (kind 'target'), null for directions. */
  readonly value: ArgValue | null;
  /** Whether the weight is in the upper half of its declared range (the user says it matters a lot). */
  readonly strong: boolean;
}

/** The hidden persona (plain JSON). */
export interface PreferencePersona {
  readonly style: UserStyle;
  readonly patience: number;
  /** Accepts an item whose utility is at least bestUtility - tolerance (and that breaks no constraint). */
  readonly tolerance: number;
  readonly traits: Readonly<Record<string, string>>;
  readonly constraints: readonly Constraint[];
  readonly preferences: readonly Preference[];
  /** Index of the best item that meets every constraint, and its utility (0..1). */
  readonly best: number;
  readonly bestUtility: number;
}

/** The hidden episode state (small; replaced, never mutated). */
export interface PreferenceState {
  /** Patience left; the user leaves when it reaches 0. */
  readonly patience: number;
  /** Askables the user has already talked about (they volunteer only new things). */
  readonly told: readonly string[];
  /** The accepted item's index, -1 while none. */
  readonly accepted: number;
  readonly rejections: number;
}

/** What a user says about one askable. */
export type Stance = 'prefer' | 'target' | 'lower' | 'higher' | 'max' | 'min' | 'eq' | 'ne' | 'is' | 'any' | 'vague';
export const STANCES: readonly Stance[] = ['prefer', 'target', 'lower', 'higher', 'max', 'min', 'eq', 'ne', 'is', 'any', 'vague'];

/** Why an item was rejected: its value too high / too low, another value needed or wanted, this value avoided. */
export type RejectReason = 'over' | 'under' | 'need' | 'want' | 'avoid' | 'none';

/** Something askable: an attribute, or a trait (index into s.traits). */
export type Askable =
  | { readonly name: string; readonly label: string; readonly kind: 'attribute'; readonly attribute: PreferenceAttribute }
  | { readonly name: string; readonly label: string; readonly kind: 'trait'; readonly trait: PreferenceTrait };

/** A scenario indexed for the hot path: built once per scenario object. */
export interface Compiled {
  readonly actions: readonly Act[];
  readonly askables: readonly Askable[];
  /** askable name → its ask action index. */
  readonly askIndex: ReadonlyMap<string, number>;
  /** First recommend action index; item i is action `firstItem + i`. */
  readonly firstItem: number;
  readonly attributes: ReadonlyMap<string, PreferenceAttribute>;
  readonly traits: ReadonlyMap<string, PreferenceTrait>;
  readonly itemIndex: ReadonlyMap<string, number>;
  /** Numeric attribute name → max - min (for normalised distances). */
  readonly span: ReadonlyMap<string, number>;
  /** Attribute name → its value on every item, in item order (a keyed load per item was most of scoring's cost). */
  readonly column: ReadonlyMap<string, readonly (string | number | boolean)[]>;
}

const cache = new WeakMap<PreferenceScenario, Compiled>();

export function compile(s: PreferenceScenario): Compiled {
  const hit = cache.get(s);
  if (hit) return hit;
  const askables: Askable[] = [];
  for (const a of s.attributes) {
    if (a.askable) askables.push({ name: a.name, label: a.label ?? a.name.replace(/_/g, ' '), kind: 'attribute', attribute: a });
  }
  for (const t of s.traits) {
    if (t.askable) askables.push({ name: t.name, label: t.label ?? t.name.replace(/_/g, ' '), kind: 'trait', trait: t });
  }
  const actions: Act[] = askables.map((a) => ({ type: 'ask', args: { attribute: a.name } }));
  const firstItem = actions.length;
  for (const item of s.items) actions.push({ type: 'recommend', args: { item: item.name } });
  const span = new Map<string, number>();
  for (const a of s.attributes) if (a.kind === 'numeric') span.set(a.name, a.max - a.min);
  const compiled: Compiled = {
    actions,
    askables,
    askIndex: new Map(askables.map((a, i) => [a.name, i])),
    firstItem,
    attributes: new Map(s.attributes.map((a) => [a.name, a])),
    traits: new Map(s.traits.map((t) => [t.name, t])),
    itemIndex: new Map(s.items.map((it, i) => [it.name, i])),
    span,
    column: new Map(s.attributes.map((a) => [a.name, s.items.map((it) => it.attributes[a.name])])),
  };
  cache.set(s, compiled);
  return compiled;
}

export function labelOf(s: PreferenceScenario, name: string): string {
  const c = compile(s);
  const a = c.attributes.get(name) ?? c.traits.get(name);
  return a?.label ?? name.replace(/_/g, ' ');
}

/** Whether `x` satisfies constraint `c`. */
export function satisfies(c: Constraint, x: ArgValue): boolean {
  switch (c.op) {
    case 'max': return (x as number) <= (c.value as number);
    case 'min': return (x as number) >= (c.value as number);
    case 'eq': return x === c.value;
    case 'ne': return x !== c.value;
  }
}

/** Index of the first constraint item `i` breaks, or -1. */
export function firstViolation(s: PreferenceScenario, p: PreferencePersona, i: number): number {
  const values = s.items[i].attributes;
  for (let k = 0; k < p.constraints.length; k++) {
    if (!satisfies(p.constraints[k], values[p.constraints[k].attribute])) return k;
  }
  return -1;
}

/** How well value `x` matches preference `p`, in [0, 1]. */
export function match(c: Compiled, p: Preference, x: ArgValue): number {
  switch (p.kind) {
    case 'value': return x === p.value ? 1 : 0;
    case 'target': return 1 - Math.abs((x as number) - (p.value as number)) / (c.span.get(p.attribute) ?? 1);
    case 'lower': {
      const a = c.attributes.get(p.attribute);
      return a && a.kind === 'numeric' ? (a.max - (x as number)) / (a.max - a.min) : 0;
    }
    case 'higher': {
      const a = c.attributes.get(p.attribute);
      return a && a.kind === 'numeric' ? ((x as number) - a.min) / (a.max - a.min) : 0;
    }
  }
}

/** The persona's utility of item i in [0, 1]: weighted mean of preference matches (1 when they care about nothing). */
export function utility(s: PreferenceScenario, preferences: readonly Preference[], i: number): number {
  const c = compile(s);
  const values = s.items[i].attributes;
  let total = 0;
  let weights = 0;
  for (const p of preferences) {
    total += p.weight * match(c, p, values[p.attribute]);
    weights += p.weight;
  }
  return weights > 0 ? total / weights : 1;
}

/** Whether the persona accepts item i: it breaks no constraint and is within tolerance of the best. */
export function acceptable(s: PreferenceScenario, p: PreferencePersona, i: number): boolean {
  return firstViolation(s, p, i) < 0 && utility(s, p.preferences, i) >= p.bestUtility - p.tolerance - 1e-9;
}
