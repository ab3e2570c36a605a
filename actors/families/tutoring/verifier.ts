import type { TutoringScenario } from '../../../scenarios/families/tutoring.js';
import type { Rng } from '../../../scenarios/random.js';
import type { Act, EndReason } from '../../acts.js';
import type { TutoringPersona, TutoringState } from './persona.js';
import { compile, pCorrect, testScore } from './model.js';

/** Per exchange: every teaching turn costs `turnCost`; the closing `end` is free and ends the episode. */
export function judge(s: TutoringScenario, _p: TutoringPersona, _before: TutoringState, agent: Act): { reward: number; end?: 'agent-ended' } {
  if (agent.type === 'end') return { reward: 0, end: 'agent-ended' };
  return { reward: -s.verifier.turnCost };
}

/**
 * The post-test: `postTestQuestions` questions per concept from easy to hard, each right with the
 * slip/guess/difficulty probability at the final mastery. The gain is the mean over concepts of the post-test score
 * minus the pre-test score the student would have got at the start (its expectation, from the
 * initial mastery). Reward = gainScale * gain, less `leavePenalty` when the student walked out.
 */
export function finish(s: TutoringScenario, p: TutoringPersona, st: TutoringState, reason: EndReason, rng: Rng) {
  const c = compile(s);
  const n = s.verifier.postTestQuestions;
  const K = c.K;
  let post = 0;
  let pre = 0;
  let learned = 0;
  for (let i = 0; i < K; i++) {
    let right = 0;
    for (let k = 0; k < n; k++) if (rng.float() < pCorrect(s, st.mastery[i], c.testDifficulty[k])) right++;
    post += right / n;
    pre += testScore(s, c, p.mastery[i]);
    learned += st.mastery[i] - p.mastery[i];
  }
  const gain = (post - pre) / K;
  const left = reason === 'user-left';
  const reward = s.verifier.gainScale * gain - (left ? s.verifier.leavePenalty : 0);
  return {
    reward,
    success: !left && gain >= s.verifier.successGain,
    details: { postTest: round4(post / K), preTest: round4(pre / K), gain: round4(gain), masteryGain: round4(learned / K) },
  };
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}
