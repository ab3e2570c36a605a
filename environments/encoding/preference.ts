import type { PreferenceScenario } from '../../scenarios/families/preference.js';
import { compile, STANCES } from '../../actors/families/preference/model.js';
import { scoreItems } from '../../actors/families/preference/strategies.js';
import type { PreferenceView } from '../../actors/families/preference/view.js';
import type { FamilyFeatures } from './structured.js';

/** User acts of the preference-elicitation family (the imagined user in actors/families/preference/user.ts). */
export const PREFERENCE_USER_ACTS = ['greet', 'inform', 'reject', 'accept', 'leave'] as const;

const FEEDBACK_REASONS = ['over', 'under', 'need', 'want', 'avoid'] as const;
/** Stance slots: 'unknown' first, then every stance a user can state. */
const STANCE_SLOTS = ['unknown', ...STANCES] as const;

/**
 * What a preference-elicitation agent has learned, per attribute and trait (stance heard, its value,
 * importance, numeric bounds from feedback, avoided values), per askable (times asked), per item
 * (rejected; the heuristic's score given the view, normalised so the best item is 1), and the
 * feedback so far.
 */
export function preferenceFeatures(s: PreferenceScenario): FamilyFeatures<PreferenceView> {
  const c = compile(s);
  const S = STANCE_SLOTS.length;
  let size = c.askables.length;
  for (const a of s.attributes) {
    size += S + 1;
    if (a.kind === 'numeric') size += 2 + 4;
    else if (a.kind === 'categorical') size += 2 * a.values.length;
    else size += 2 + 2;
  }
  for (const t of s.traits) size += S + 1 + t.values.length;
  size += 3 * s.items.length + FEEDBACK_REASONS.length + 1 + 2;

  const stanceIndex = new Map<string, number>(STANCE_SLOTS.map((x, i) => [x, i]));
  // The "attribute=value" avoid pairs and ":reason" suffixes each feature looks for, built once.
  const avoidKeys = s.attributes.map((a) => (a.kind === 'categorical' ? a.values : a.kind === 'boolean' ? ['true', 'false'] : []).map((x) => `${a.name}=${x}`));
  const reasonSuffixes = FEEDBACK_REASONS.map((r) => `:${r}`);
  // Scratch for the item scores and rejections, reused across observations (read before the next).
  const score = new Float64Array(s.items.length);
  const rejected = new Uint8Array(s.items.length);
  return {
    size,
    userActs: PREFERENCE_USER_ACTS,
    write(v, _obs, w) {
      for (const a of c.askables) w.put(Math.min(1, (v.asked[a.name] ?? 0) / 2));
      for (let ai = 0; ai < s.attributes.length; ai++) {
        const a = s.attributes[ai];
        w.oneHot(stanceIndex.get(v.stance[a.name]) ?? -1, S);
        w.flag(v.important[a.name] === true);
        const x = v.value[a.name];
        if (a.kind === 'numeric') {
          const span = a.max - a.min || 1;
          w.flag(typeof x === 'number');
          w.put(typeof x === 'number' ? (x - a.min) / span : 0);
          const below = v.below[a.name];
          const above = v.above[a.name];
          w.flag(typeof below === 'number');
          w.put(typeof below === 'number' ? (below - a.min) / span : 0);
          w.flag(typeof above === 'number');
          w.put(typeof above === 'number' ? (above - a.min) / span : 0);
        } else if (a.kind === 'categorical') {
          w.oneHot(typeof x === 'string' ? a.values.indexOf(x) : -1, a.values.length);
          for (const key of avoidKeys[ai]) w.flag(v.avoid.includes(key));
        } else {
          w.flag(x === true);
          w.flag(x === false);
          for (const key of avoidKeys[ai]) w.flag(v.avoid.includes(key));
        }
      }
      for (const t of s.traits) {
        w.oneHot(stanceIndex.get(v.stance[t.name]) ?? -1, S);
        w.flag(v.important[t.name] === true);
        const x = v.value[t.name];
        w.oneHot(t.values.findIndex((tv) => tv.value === x), t.values.length);
      }
      // Items: rejected, and the heuristic's score given the view (1 for the best item, e^-gap below it).
      scoreItems(s, v, score);
      rejected.fill(0);
      for (const r of v.rejected) if (r >= 0) rejected[r] = 1;
      let best = -Infinity;
      for (let i = 0; i < s.items.length; i++) if (!rejected[i] && score[i] > best) best = score[i];
      for (let i = 0; i < s.items.length; i++) w.flag(rejected[i] === 1);
      for (let i = 0; i < s.items.length; i++) w.put(rejected[i] ? 0 : Math.exp(Math.max(-30, score[i] - best)));
      for (let i = 0; i < s.items.length; i++) w.flag(!rejected[i] && score[i] === best);
      for (const suffix of reasonSuffixes) {
        let n = 0;
        for (const f of v.feedback) if (f.endsWith(suffix)) n++;
        w.count(n);
      }
      let none = 0;
      for (const f of v.feedback) if (f === 'none') none++;
      w.count(none);
      w.count(v.rejected.length);
      w.flag(v.restless);
    },
  };
}
