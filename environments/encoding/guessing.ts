import type { GuessingScenario } from '../../scenarios/families/guessing.js';
import { compile } from '../../actors/families/guessing/model.js';
import { posterior } from '../../actors/families/guessing/strategies.js';
import type { GuessingView } from '../../actors/families/guessing/view.js';
import type { FamilyFeatures } from './structured.js';

/** User acts of the guessing family (the answerer in actors/families/guessing/answerer.ts). */
export const GUESSING_USER_ACTS = ['open', 'answer', 'reject', 'confirm', 'leave'] as const;

/**
 * What a guesser has learned: per attribute the clear answer (yes / no) and times asked; per item
 * whether it was guessed and its posterior given the answers (the heuristic's Bayes filter); the
 * two largest posteriors; restlessness.
 */
export function guessingFeatures(s: GuessingScenario): FamilyFeatures<GuessingView> {
  const c = compile(s);
  const post = new Float64Array(c.nItems); // scratch, read before the next observation
  return {
    size: 3 * c.nAttr + 2 * c.nItems + 3,
    userActs: GUESSING_USER_ACTS,
    write(v, _obs, w) {
      for (let a = 0; a < c.nAttr; a++) {
        w.flag(v.answers[a] > 0);
        w.flag(v.answers[a] < 0);
        w.put(Math.min(1, v.asked[a] / 2));
      }
      posterior(s, v, post);
      let first = 0;
      let second = 0;
      for (let i = 0; i < c.nItems; i++) {
        w.flag(v.guessed[i] !== 0);
        const p = post[i];
        if (p > first) { second = first; first = p; } else if (p > second) second = p;
      }
      for (let i = 0; i < c.nItems; i++) w.put(Number.isFinite(post[i]) ? post[i] : 0);
      w.put(first);
      w.put(second);
      w.flag(v.restless);
    },
  };
}
