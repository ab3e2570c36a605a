import type { TutoringScenario } from '../../scenarios/families/tutoring.js';
import type { TutoringView } from '../../actors/families/tutoring/view.js';
import type { FamilyFeatures } from './structured.js';

/** User acts of the tutoring family (the imagined student in actors/families/tutoring/student.ts). */
export const TUTORING_USER_ACTS = ['greet', 'answer', 'unsure', 'react', 'exercise-result', 'bye', 'leave'] as const;

/**
 * What a tutor has learned, per concept: quiz answers right/wrong/unsure and the smoothed quiz
 * accuracy, exercises right/wrong, explanations given per level, the last explanation's level and
 * the student's reaction to it, reaction counts, what the student volunteered; then restlessness.
 */
export function tutoringFeatures(s: TutoringScenario): FamilyFeatures<TutoringView> {
  const K = s.concepts.length;
  const L = s.levels.length;
  const perConcept = 4 + 2 + L + (L + 1) + 3 + 3 + 2;
  return {
    size: K * perConcept + 1,
    userActs: TUTORING_USER_ACTS,
    write(v, _obs, w) {
      for (let i = 0; i < K; i++) {
        const right = v.quizRight[i];
        const wrong = v.quizWrong[i];
        w.count(right);
        w.count(wrong);
        w.count(v.quizUnsure[i]);
        w.put((right + 1) / (right + wrong + 2));
        w.count(v.exerciseRight[i]);
        w.count(v.exerciseWrong[i]);
        for (let l = 0; l < L; l++) w.count(v.explained[i * L + l]);
        w.oneHot(v.lastLevel[i] + 1, L + 1);
        w.oneHot(v.lastReaction[i] + 1, 3);
        w.count(v.gotIt[i]);
        w.count(v.bored[i]);
        w.count(v.confused[i]);
        w.flag(v.saidWeak[i]);
        w.flag(v.saidStrong[i]);
      }
      w.flag(v.restless);
    },
  };
}
