import type { GuessingScenario } from '../../../scenarios/families/guessing.js';
import type { Act, EndReason } from '../../acts.js';
import type { GuessingPersona, GuessingState } from './model.js';

/**
 * The verifier: every agent turn costs `rewards.turn`; the game ends when the user confirms a
 * guess; at the end naming the item earns `rewards.success` and a user who walked out costs
 * `rewards.userLeft`.
 */
export function judge(s: GuessingScenario, user: Act): { reward: number; end?: 'success' } {
  return user.type === 'confirm' ? { reward: s.rewards.turn, end: 'success' } : { reward: s.rewards.turn };
}

export function finish(
  s: GuessingScenario,
  persona: GuessingPersona,
  state: GuessingState,
  reason: EndReason,
): { reward: number; success: boolean; details: Record<string, number | string | boolean> } {
  const success = reason === 'success' && state.found;
  const reward = success ? s.rewards.success : reason === 'user-left' ? s.rewards.userLeft : 0;
  return {
    reward,
    success,
    details: { item: persona.item, questions: state.questions, wrongGuesses: state.wrongGuesses, patienceLeft: state.patience },
  };
}
