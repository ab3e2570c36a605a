import type { Observation } from '../../actors/acts.js';
import type { ScenarioContext } from '../../actors/episode-core.js';
import type { PreferenceView } from '../../actors/families/preference/view.js';
import type { TutoringView } from '../../actors/families/tutoring/view.js';
import type { GuessingView } from '../../actors/families/guessing/view.js';
import type { Encoder } from './encoder.js';
import { FeatureWriter } from './features.js';
import { guessingFeatures } from './guessing.js';
import { preferenceFeatures } from './preference.js';
import { tutoringFeatures } from './tutoring.js';

/** One family's block of the structured encoding: a fixed size per scenario, written from the view. */
export interface FamilyFeatures<V> {
  readonly size: number;
  /** The family's user act types, for the one-hot of the last user act (in this order, then one 'other' slot). */
  readonly userActs: readonly string[];
  write(view: V, obs: Observation, w: FeatureWriter): void;
}

function familyFeatures(ctx: ScenarioContext): FamilyFeatures<unknown> {
  const s = ctx.scenario;
  switch (s.family) {
    case 'preference-elicitation': return preferenceFeatures(s) as FamilyFeatures<PreferenceView> as FamilyFeatures<unknown>;
    case 'tutoring': return tutoringFeatures(s) as FamilyFeatures<TutoringView> as FamilyFeatures<unknown>;
    case 'guessing': return guessingFeatures(s) as FamilyFeatures<GuessingView> as FamilyFeatures<unknown>;
  }
}

/**
 * The structured encoder: a common block, then the family's view features.
 *
 * | slots | feature |
 * | --- | --- |
 * | 2 | turn / maxTurns; 1 when at most 2 turns are left |
 * | userActs + 1 | one-hot of the last user act's type (last slot: any other type) |
 * | numActions | the mask (1 = valid now) |
 * | family | the view, normalised (see preference.ts, tutoring.ts, guessing.ts) |
 *
 * Every value is in [-1, 1] (mostly [0, 1]); the size depends only on the scenario.
 */
export function structuredEncoder(ctx: ScenarioContext): Encoder {
  const fam = familyFeatures(ctx);
  const nActs = fam.userActs.length;
  const actIndex = new Map(fam.userActs.map((t, i) => [t, i]));
  const numActions = ctx.actions.length;
  const size = 2 + nActs + 1 + numActions + fam.size;
  return {
    kind: 'structured',
    size,
    encode(obs, out, offset = 0) {
      if (obs.mask.length !== numActions) throw new Error(`structured encoder for '${ctx.scenario.id}': the observation's mask has ${obs.mask.length} actions, the scenario ${numActions}; was it made for another scenario?`);
      const w = new FeatureWriter(out, offset);
      w.put(obs.maxTurns > 0 ? obs.turn / obs.maxTurns : 0);
      w.flag(obs.maxTurns - obs.turn <= 2);
      w.oneHot(obs.lastUserAct ? actIndex.get(obs.lastUserAct.type) ?? nActs : -1, nActs + 1);
      w.mask(obs.mask);
      fam.write(obs.view, obs, w);
      if (w.written !== size) throw new Error(`structured encoder for '${ctx.scenario.id}' wrote ${w.written} features, expected ${size} (a bug in environments/encoding/${ctx.scenario.family})`);
    },
  };
}
