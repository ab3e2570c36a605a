import { z } from 'zod';
import { ScenarioBase } from '../base.js';

/**
 * The tutoring family: a student with hidden per-concept mastery, learning rate and level
 * preference; the agent quizzes, explains at a level, sets exercises, and ends; a post-test
 * at the end measures the learning gain. Everything domain-specific lives in this data.
 */

const Probability = z.number().min(0).max(1);

/** Templates keyed by user style; `all` applies to every style. Slots: {concept} {subject} {answer} {question} {level}. */
const StyleTexts = z.strictObject({
  all: z.array(z.string().min(1)).optional(),
  terse: z.array(z.string().min(1)).optional(),
  chatty: z.array(z.string().min(1)).optional(),
  formal: z.array(z.string().min(1)).optional(),
  casual: z.array(z.string().min(1)).optional(),
});

/** Kinds of student utterance whose wording a scenario may extend. */
export const TUTORING_USER_TEXTS = [
  'greet', 'correct', 'mixed', 'wrong', 'unsure', 'gotIt', 'ok', 'bored', 'confused', 'knowIt',
  'solved', 'failed', 'bye', 'leave', 'volunteerWeak', 'volunteerStrong', 'restless',
] as const;
export type TutoringUserText = (typeof TUTORING_USER_TEXTS)[number];

/** Kinds of agent utterance whose wording a scenario may extend. */
export const TUTORING_AGENT_TEXTS = ['quiz', 'explain', 'exercise', 'end'] as const;
export type TutoringAgentText = (typeof TUTORING_AGENT_TEXTS)[number];

/** Slots a template may use. */
export const TUTORING_SLOTS = ['concept', 'subject', 'answer', 'question', 'level'] as const;

const Question = z.strictObject({
  q: z.string().min(1).describe('the question, as the tutor would ask it'),
  a: z.string().min(1).describe('the right answer'),
  wrong: z.array(z.string().min(1)).min(1).describe('typical wrong answers a student gives'),
});

const Normal = z.strictObject({ mean: Probability, sd: z.number().min(0).max(1) });

/** A normal distribution or a weighted mixture of them (as the schema's `mastery` field holds it). */
export type MasteryDistribution = z.infer<typeof Normal> | (z.infer<typeof Normal> & { weight: number })[];

const Concept = z.strictObject({
  name: z.string().min(1).describe('identifier used in acts and references, e.g. "fractions"'),
  label: z.string().min(1).optional().describe('how people call it in text (defaults to name)'),
  prerequisites: z.array(z.string()).default([]).describe('names of concepts this one builds on'),
  mastery: z
    .union([Normal, z.array(Normal.extend({ weight: z.number().positive() })).min(1)])
    .describe('initial mastery: normal(mean, sd), or a mixture of weighted normals (students who never learned it, half-know it, know it), clipped to [0.02, 0.98]'),
  questions: z.array(Question).min(1).describe('quiz items: their answers fill the student\'s replies'),
});

const Level = z.strictObject({
  name: z.string().min(1).describe('e.g. "intuitive", "worked-example", "formal"'),
  phrase: z.string().min(1).describe('how the tutor announces it, e.g. "with an everyday picture"'),
  upTo: Probability.describe('this level fits a student whose mastery is below upTo (and above the previous level\'s upTo)'),
});

const Student = z.strictObject({
  learningRate: z
    .strictObject({ min: z.number().positive().max(1), max: z.number().positive().max(1) })
    .refine((r) => r.max >= r.min, { message: 'learningRate.max must be at least learningRate.min' })
    .describe('each student draws a learning rate uniformly in [min, max]'),
  ability: z.number().min(0).max(0.5).default(0).describe('sd of a persona-wide shift added to every concept\'s mastery'),
  slip: Probability.describe('probability that a student well above a question\'s difficulty answers it wrongly'),
  guess: Probability.describe('probability that a student well below a question\'s difficulty answers it rightly'),
  discrimination: z.number().positive().default(10).describe('how sharply a question separates students below and above its difficulty (the slope of P(right) in mastery)'),
  levelShift: z
    .array(z.strictObject({ shift: z.int(), weight: z.number().positive() }))
    .min(1)
    .describe('level preference: the fitting level is moved by shift (e.g. -1 likes simpler talk), drawn by weight'),
  levelFit: z
    .array(Probability)
    .min(2)
    .describe('learning multiplier by distance between the explanation\'s level and the fitting level (index 0 = exact fit)'),
  exercise: z
    .strictObject({
      gain: Probability.describe('learning multiplier of an exercise at its best mastery'),
      peak: Probability.describe('mastery where exercises help most'),
      width: z.number().positive().max(1).describe('exercises help when |mastery - peak| < width'),
    })
    .describe('exercises help most when mastery is moderate'),
  quizQuestions: z.int().min(1).max(5).default(3).describe('questions in one quick quiz; they probe the level boundaries (question j has difficulty levels[j mod (levels - 1)].upTo); the student\'s reply says how many they got right'),
  quizGain: Probability.default(0.03).describe('learning multiplier of being quizzed (testing effect)'),
  prerequisiteMastery: Probability.default(0.5).describe('below this prerequisite mastery, learning the dependent concept is damped'),
  quizPatience: z.number().min(0).default(0.5).describe('patience a quick quiz question uses (an explanation or exercise uses 1)'),
  candour: Probability.default(0.75).describe('probability that a bored or lost student says so (else a polite "okay")'),
  boredom: z.number().min(0).default(1).describe('extra patience lost when an explanation is too easy'),
  frustration: z.number().min(0).default(1.5).describe('extra patience lost when an explanation or exercise is too hard'),
  restlessAt: z.number().min(0).default(3).describe('patience left at which the student starts to show impatience'),
});

const Verifier = z.strictObject({
  postTestQuestions: z.int().min(1).max(50).describe('post-test questions per concept, from easy to hard (difficulties (j + 0.5) / n)'),
  gainScale: z.number().positive().describe('reward per unit of mean post-test gain (fraction correct over the pre-test)'),
  turnCost: z.number().min(0).describe('reward subtracted per agent turn (the final end act is free)'),
  leavePenalty: z.number().min(0).describe('reward subtracted when the student walks out'),
  successGain: z.number().min(-1).max(1).describe('mean gain at or above which the session counts as a success'),
});

/** The maximum size of the action catalogue (per concept: quiz, one explain per level, exercise; plus end). */
export const TUTORING_MAX_ACTIONS = 64;

export const TutoringScenario = ScenarioBase.extend({
  family: z.literal('tutoring'),
  subject: z.string().min(1).describe('what is taught, e.g. "fractions and decimals"'),
  concepts: z.array(Concept).min(1).describe('what the student can learn; the post-test covers all of them'),
  levels: z.array(Level).min(2).max(5).describe('explanation levels from simplest to most advanced'),
  student: Student,
  verifier: Verifier,
  texts: z
    .strictObject({
      user: z.partialRecord(z.enum(TUTORING_USER_TEXTS), StyleTexts).optional(),
      agent: z.partialRecord(z.enum(TUTORING_AGENT_TEXTS), z.array(z.string().min(1))).optional(),
    })
    .optional()
    .describe('extra paraphrases, added to the family\'s defaults'),
}).superRefine((s, ctx) => {
  const names = new Map<string, number>();
  s.concepts.forEach((c, i) => {
    if (names.has(c.name)) {
      ctx.addIssue({ code: 'custom', path: ['concepts', i, 'name'], message: `concept name '${c.name}' is used twice (also at concepts.${names.get(c.name)}); names must be unique` });
    } else names.set(c.name, i);
  });
  s.concepts.forEach((c, i) => {
    c.prerequisites.forEach((p, j) => {
      if (p === c.name) {
        ctx.addIssue({ code: 'custom', path: ['concepts', i, 'prerequisites', j], message: `concept '${c.name}' lists itself as a prerequisite; remove it` });
      } else if (!names.has(p)) {
        ctx.addIssue({ code: 'custom', path: ['concepts', i, 'prerequisites', j], message: `unknown concept '${p}'; expected one of: ${[...names.keys()].join(', ')}` });
      }
    });
  });
  const cycle = prerequisiteCycle(s.concepts);
  if (cycle) {
    ctx.addIssue({ code: 'custom', path: ['concepts', names.get(cycle[0]) ?? 0, 'prerequisites'], message: `prerequisites form a cycle (${cycle.join(' -> ')}); they must be acyclic` });
  }
  let prev = 0;
  s.levels.forEach((l, i) => {
    if (l.upTo <= prev) {
      ctx.addIssue({ code: 'custom', path: ['levels', i, 'upTo'], message: `levels must have increasing upTo; expected more than ${prev}, got ${l.upTo}` });
    }
    prev = l.upTo;
  });
  if (s.levels[s.levels.length - 1].upTo !== 1) {
    ctx.addIssue({ code: 'custom', path: ['levels', s.levels.length - 1, 'upTo'], message: 'the last level must have upTo: 1, so that every mastery has a fitting level' });
  }
  const levelNames = new Set<string>();
  s.levels.forEach((l, i) => {
    if (levelNames.has(l.name)) ctx.addIssue({ code: 'custom', path: ['levels', i, 'name'], message: `level name '${l.name}' is used twice; names must be unique` });
    levelNames.add(l.name);
  });
  if (s.student.levelFit.length < s.levels.length) {
    ctx.addIssue({ code: 'custom', path: ['student', 'levelFit'], message: `levelFit needs one entry per possible distance (${s.levels.length} for ${s.levels.length} levels), got ${s.student.levelFit.length}` });
  }
  s.student.levelShift.forEach((ls, i) => {
    if (Math.abs(ls.shift) >= s.levels.length) {
      ctx.addIssue({ code: 'custom', path: ['student', 'levelShift', i, 'shift'], message: `shift ${ls.shift} moves past every level; expected between ${-(s.levels.length - 1)} and ${s.levels.length - 1}` });
    }
  });
  if (s.student.slip + s.student.guess >= 1) {
    ctx.addIssue({ code: 'custom', path: ['student', 'guess'], message: `slip + guess must be below 1 (answers must say something about mastery), got ${s.student.slip} + ${s.student.guess}` });
  }
  const size = s.concepts.length * (s.levels.length + 2) + 1;
  if (size > TUTORING_MAX_ACTIONS) {
    ctx.addIssue({ code: 'custom', path: ['concepts'], message: `${s.concepts.length} concepts x (${s.levels.length} levels + quiz + exercise) + end = ${size} actions, more than ${TUTORING_MAX_ACTIONS}; use fewer concepts or levels` });
  }
  const checkSlots = (text: string, path: (string | number)[]) => {
    for (const m of text.matchAll(/\{([^}]*)\}/g)) {
      if (!(TUTORING_SLOTS as readonly string[]).includes(m[1])) {
        ctx.addIssue({ code: 'custom', path, message: `unknown slot {${m[1]}}; expected one of ${TUTORING_SLOTS.map((x) => `{${x}}`).join(' ')}` });
      }
    }
  };
  for (const [kind, byStyle] of Object.entries(s.texts?.user ?? {})) {
    for (const [style, list] of Object.entries(byStyle ?? {})) {
      (list ?? []).forEach((t, i) => checkSlots(t, ['texts', 'user', kind, style, i]));
    }
  }
  for (const [kind, list] of Object.entries(s.texts?.agent ?? {})) {
    (list ?? []).forEach((t, i) => checkSlots(t, ['texts', 'agent', kind, i]));
  }
});
export type TutoringScenario = z.infer<typeof TutoringScenario>;

/** A cycle among prerequisites as a list of names (first repeated last), or null. */
function prerequisiteCycle(concepts: readonly { name: string; prerequisites: readonly string[] }[]): string[] | null {
  const deps = new Map(concepts.map((c) => [c.name, c.prerequisites]));
  const state = new Map<string, 1 | 2>(); // 1 visiting, 2 done
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    const st = state.get(n);
    if (st === 2) return null;
    if (st === 1) return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 1);
    stack.push(n);
    for (const d of deps.get(n) ?? []) {
      if (!deps.has(d) || d === n) continue; // unknown names and self-references are reported on their own
      const c = visit(d);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 2);
    return null;
  };
  for (const c of concepts) {
    const found = visit(c.name);
    if (found) return found;
  }
  return null;
}
