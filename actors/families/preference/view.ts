import type { PreferenceScenario } from '../../../scenarios/families/preference.js';
import type { Act, ArgValue } from '../../acts.js';
import { compile } from './model.js';
import type { Stance } from './model.js';

/**
 * What the agent knows: plain, flat JSON (records of scalars, arrays of scalars) so that a
 * structured encoder can turn it into a vector. Keys of the records are every attribute and trait
 * name, in scenario order.
 */
export interface PreferenceView {
  /** Times each askable was asked. */
  readonly asked: Readonly<Record<string, number>>;
  /** The latest informative thing heard about each attribute or trait ('unknown' before anything). */
  readonly stance: Readonly<Record<string, Stance | 'unknown'>>;
  /** The value heard with it: favourite, ideal, limit or trait value; null when none. */
  readonly value: Readonly<Record<string, ArgValue | null>>;
  /** Whether the user said the preference heard about each attribute matters a lot. */
  readonly important: Readonly<Record<string, boolean>>;
  /** Numeric attributes: the lowest value rejected as too high (wanted below it); null when none. */
  readonly below: Readonly<Record<string, number | null>>;
  /** Numeric attributes: the highest value rejected as too low (wanted above it); null when none. */
  readonly above: Readonly<Record<string, number | null>>;
  /** Values ruled out in feedback, as "attribute=value". */
  readonly avoid: readonly string[];
  /** Rejected items (catalogue item indices), in order. */
  readonly rejected: readonly number[];
  /** For each rejected item, "attribute:reason" (reason over/under/need/want/avoid) or "none". */
  readonly feedback: readonly string[];
  /** Whether the user sounded impatient in the last turn. */
  readonly restless: boolean;
}

export function initialView(s: PreferenceScenario): PreferenceView {
  const c = compile(s);
  const asked: Record<string, number> = {};
  for (const a of c.askables) asked[a.name] = 0;
  const stance: Record<string, Stance | 'unknown'> = {};
  const value: Record<string, ArgValue | null> = {};
  const important: Record<string, boolean> = {};
  const below: Record<string, number | null> = {};
  const above: Record<string, number | null> = {};
  for (const a of s.attributes) {
    stance[a.name] = 'unknown';
    value[a.name] = null;
    important[a.name] = false;
    if (a.kind === 'numeric') { below[a.name] = null; above[a.name] = null; }
  }
  for (const t of s.traits) { stance[t.name] = 'unknown'; value[t.name] = null; important[t.name] = false; }
  return { asked, stance, value, important, below, above, avoid: [], rejected: [], feedback: [], restless: false };
}

interface Draft {
  stance?: Record<string, Stance | 'unknown'>;
  value?: Record<string, ArgValue | null>;
  important?: Record<string, boolean>;
}

/** Folds a stated fact in: a vague answer does not erase what was heard before. */
function hear(view: PreferenceView, d: Draft, attribute: string, stance: ArgValue | undefined, value: ArgValue | undefined, strong?: boolean): void {
  if (!(attribute in view.stance) || typeof stance !== 'string') return;
  const prev = (d.stance ?? view.stance)[attribute];
  if (stance === 'vague' && prev !== 'unknown') return;
  d.stance ??= { ...view.stance };
  d.value ??= { ...view.value };
  d.stance[attribute] = stance as Stance;
  d.value[attribute] = value ?? null;
  // Only a stated preference says how much it matters; feedback leaves that as it was.
  if (strong !== undefined && (d.important ?? view.important)[attribute] !== strong) {
    d.important ??= { ...view.important };
    d.important[attribute] = strong;
  }
}

export function updateView(s: PreferenceScenario, view: PreferenceView, agent: Act | null, user: Act): PreferenceView {
  const args = user.args ?? {};
  let asked = view.asked;
  if (agent?.type === 'ask') {
    const name = String(agent.args?.attribute);
    asked = { ...asked, [name]: (asked[name] ?? 0) + 1 };
  }
  const d: Draft = {};
  let { below, above, avoid, rejected, feedback } = view;
  if (user.type === 'inform') hear(view, d, String(args.attribute), args.stance, args.value, args.strong === true);
  if (user.type === 'reject') {
    const c = compile(s);
    const item = c.itemIndex.get(String(args.item)) ?? -1;
    const reason = String(args.reason);
    const attribute = args.attribute === undefined ? null : String(args.attribute);
    rejected = [...rejected, item];
    feedback = [...feedback, attribute ? `${attribute}:${reason}` : 'none'];
    if (attribute && item >= 0) {
      const x = s.items[item].attributes[attribute];
      if (reason === 'over' && typeof x === 'number') {
        const b = below[attribute];
        below = { ...below, [attribute]: b === null || b === undefined ? x : Math.min(b, x) };
        if (args.value !== undefined) hear(view, d, attribute, 'max', args.value);
      } else if (reason === 'under' && typeof x === 'number') {
        const b = above[attribute];
        above = { ...above, [attribute]: b === null || b === undefined ? x : Math.max(b, x) };
        if (args.value !== undefined) hear(view, d, attribute, 'min', args.value);
      } else if (reason === 'need') {
        hear(view, d, attribute, 'eq', args.value);
      } else if (reason === 'want') {
        if ((d.stance ?? view.stance)[attribute] !== 'eq') hear(view, d, attribute, 'prefer', args.value);
      } else if (reason === 'avoid') {
        avoid = [...avoid, `${attribute}=${String(args.value)}`];
      }
    }
  }
  if (args.also !== undefined) hear(view, d, String(args.also), args.alsoStance, args.alsoValue, args.alsoStrong === true);
  return {
    asked,
    stance: d.stance ?? view.stance,
    value: d.value ?? view.value,
    important: d.important ?? view.important,
    below,
    above,
    avoid,
    rejected,
    feedback,
    restless: args.restless === true,
  };
}

/** Asks are valid until asked twice; recommendations until the item was rejected. Never all false. */
export function mask(s: PreferenceScenario, view: PreferenceView): boolean[] {
  const c = compile(s);
  const out = new Array<boolean>(c.actions.length);
  let askable = false;
  for (let i = 0; i < c.firstItem; i++) askable = (out[i] = view.asked[c.askables[i].name] < 2) || askable;
  for (let i = 0; i < s.items.length; i++) out[c.firstItem + i] = true;
  for (const r of view.rejected) if (r >= 0) out[c.firstItem + r] = false;
  if (!askable && view.rejected.length >= s.items.length) out.fill(true, 0, c.firstItem);
  return out;
}
