import type { PreferenceScenario } from '../../../scenarios/families/preference.js';
import type { Act, EndReason } from '../../acts.js';
import { utility } from './model.js';
import type { PreferencePersona, PreferenceState } from './model.js';

/**
 * The verifier: every agent turn costs `rewards.turnCost`, and a rejected recommendation
 * `rewards.reject` more (lost trust); an accepted recommendation ends the episode with success and
 * a final reward of `rewards.accept` scaled by the item's utility over the persona's best; a user
 * who walks out costs `rewards.leave`; running out of turns gives nothing.
 */

export function judge(s: PreferenceScenario, _p: PreferencePersona, _before: PreferenceState, _agent: Act, user: Act): { reward: number; end?: 'success' } {
  if (user.type === 'accept') return { reward: -s.rewards.turnCost, end: 'success' };
  return { reward: user.type === 'reject' ? -s.rewards.turnCost - s.rewards.reject : -s.rewards.turnCost };
}

export function finish(s: PreferenceScenario, p: PreferencePersona, st: PreferenceState, reason: EndReason): { reward: number; success: boolean; details: Record<string, number | string | boolean> } {
  const details: Record<string, number | string | boolean> = { rejections: st.rejections, bestUtility: round(p.bestUtility) };
  if (st.accepted >= 0) {
    const u = utility(s, p.preferences, st.accepted);
    const ratio = p.bestUtility > 0 ? Math.min(1, u / p.bestUtility) : 1;
    return { reward: s.rewards.accept * ratio, success: true, details: { ...details, accepted: s.items[st.accepted].name, utility: round(u) } };
  }
  return { reward: reason === 'user-left' ? -s.rewards.leave : 0, success: false, details };
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
