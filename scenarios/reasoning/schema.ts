import { z } from 'zod';

/** Tokens every reasoning completion uses: `<think> … </think> <answer> … </answer> <eos>`, padded with `<pad>`. */
export const FORMAT_TOKENS = ['<pad>', '<eos>', '<think>', '</think>', '<answer>', '</answer>'] as const;
/** The scripted reasoner's markers: a check that confirms (`<ok>`) or refutes (`<no>`) a step, and a backtrack. */
export const MARKER_TOKENS = ['<check>', '<ok>', '<no>', '<back>'] as const;
export const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

/** The symbols each task writes in prompts, thoughts and answers (beyond format tokens and markers). */
export const TASK_SYMBOLS = {
  addition: [...DIGITS, '+', '='],
  'digit-sum': [...DIGITS, '+', '='],
  sort: [...DIGITS, ',', ':'],
  countdown: [...DIGITS, '+', '-', '*', '(', ')', ',', ':', '='],
} as const satisfies Record<string, readonly string[]>;
export type TaskName = keyof typeof TASK_SYMBOLS;
export const TASK_NAMES = Object.keys(TASK_SYMBOLS) as TaskName[];

const IntRange = (what: string, lo: number, hi: number) => z
  .strictObject({ min: z.int().min(lo).max(hi), max: z.int().min(lo).max(hi) })
  .refine((r) => r.max >= r.min, { message: `${what}: max must be at least min` });

/** Difficulty levels, easiest first; level n (1-based) is `difficulty[n-1]`. */
const Levels = <T extends z.ZodType>(level: T) => z.array(level).min(1).describe('difficulty levels, easiest first (level 1 is the first)');

export const AdditionLevel = z.strictObject({
  digits: IntRange('digits', 1, 30).describe('digits of each operand, drawn uniformly from [min, max]'),
});
export const DigitSumLevel = z.strictObject({
  digits: IntRange('digits', 1, 200).describe('how many digits to sum (mod 10)'),
});
export const SortLevel = z.strictObject({
  length: IntRange('length', 1, 40).describe('list length'),
  values: IntRange('values', 0, 999_999).describe('each value drawn uniformly from [min, max]'),
});
export const CountdownLevel = z.strictObject({
  numbers: z.int().min(2).max(6).describe('how many numbers are given'),
  values: IntRange('values', 1, 1000).describe('each given number drawn uniformly from [min, max]'),
  target: IntRange('target', 1, 100_000).describe('the target is drawn (by building a random expression) within [min, max]'),
  minSteps: z.int().min(1).max(5).default(1)
    .describe('fewest operations a solution must need: problems solvable in fewer are drawn again'),
  searchBudget: z.int().min(1).max(1000).default(40)
    .describe('problems whose scripted search would write more steps than this are drawn again'),
});
export type AdditionLevel = z.infer<typeof AdditionLevel>;
export type DigitSumLevel = z.infer<typeof DigitSumLevel>;
export type SortLevel = z.infer<typeof SortLevel>;
export type CountdownLevel = z.infer<typeof CountdownLevel>;
// (A level with minSteps >= numbers can never be drawn; the generator's error says so.)

/**
 * How the scripted reasoner writes. Each step is first written wrong with probability `mistakeRate`.
 * A wrong step is caught by a check (`<check> correct step <no>`) unless it slips (`slipRate`);
 * with probability `backtrackRate` the check comes one or two steps late and the reasoner writes
 * `<back>` and redoes the steps from the wrong one, otherwise it fixes the step at once.
 * Correct steps are checked (`<ok>`) with probability `checkRate`. With `slipRate: 0` (the default)
 * every final answer is correct.
 */
export const ReasonerSettings = z.strictObject({
  mistakeRate: z.number().min(0).max(1).default(0).describe('probability that a step is first written wrong'),
  checkRate: z.number().min(0).max(1).default(0).describe('probability of checking a correct step (wrong steps are always checked)'),
  backtrackRate: z.number().min(0).max(1).default(0.5).describe('probability that a caught mistake is found late and undone by backtracking'),
  slipRate: z.number().min(0).max(1).default(0).describe('probability that a mistake is never caught (the answer is then wrong)'),
});
export type ReasonerSettings = z.infer<typeof ReasonerSettings>;

export const Vocabulary = z.strictObject({
  separator: z.string().regex(/^\S+$/, 'a token has no spaces').default('<sep>')
    .describe('the step separator that splits a thought into episodes of reasoning'),
  tokens: z.array(z.string().regex(/^\S+$/, 'a token is non-empty and has no spaces')).min(1)
    .describe('every token; its position is its id; <pad> must come first (id 0)'),
});
export type Vocabulary = z.infer<typeof Vocabulary>;

const base = {
  kind: z.literal('reasoning'),
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'id must be lowercase letters, digits and dashes, e.g. "addition-hard"'),
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'version must look like 1.0.0'),
  title: z.string().min(1),
  description: z.string().default(''),
  maxTokens: z.int().min(8).max(100_000).describe('most completion tokens a policy may write (<think> to <eos>)'),
  reasoner: ReasonerSettings.default({ mistakeRate: 0, checkRate: 0, backtrackRate: 0.5, slipRate: 0 }),
  vocabulary: Vocabulary,
};

export const AdditionScenario = z.strictObject({ ...base, task: z.literal('addition'), difficulty: Levels(AdditionLevel) });
export const DigitSumScenario = z.strictObject({ ...base, task: z.literal('digit-sum'), difficulty: Levels(DigitSumLevel) });
export const SortScenario = z.strictObject({ ...base, task: z.literal('sort'), difficulty: Levels(SortLevel) });
export const CountdownScenario = z.strictObject({ ...base, task: z.literal('countdown'), difficulty: Levels(CountdownLevel) });

/** A reasoning scenario file: a task family, its difficulty levels, the reasoner's habits and the vocabulary. */
export const ReasoningScenario = z
  .discriminatedUnion('task', [AdditionScenario, DigitSumScenario, SortScenario, CountdownScenario])
  .superRefine((s, ctx) => {
    const tokens = s.vocabulary.tokens;
    const seen = new Map<string, number>();
    tokens.forEach((t, i) => {
      const first = seen.get(t);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['vocabulary', 'tokens', i], message: `token '${t}' repeats vocabulary.tokens[${first}]; each token may appear once` });
      else seen.set(t, i);
    });
    if (tokens[0] !== '<pad>') ctx.addIssue({ code: 'custom', path: ['vocabulary', 'tokens', 0], message: `the first token must be '<pad>' (id 0 pads batches), got '${tokens[0]}'` });
    const needed = [...FORMAT_TOKENS, ...MARKER_TOKENS, s.vocabulary.separator, ...TASK_SYMBOLS[s.task]];
    const missing = [...new Set(needed)].filter((t) => !seen.has(t));
    if (missing.length) {
      ctx.addIssue({ code: 'custom', path: ['vocabulary', 'tokens'], message: `missing ${missing.map((t) => `'${t}'`).join(', ')}, which the ${s.task} task writes; add ${missing.length === 1 ? 'it' : 'them'}` });
    }
  });
export type ReasoningScenario = z.infer<typeof ReasoningScenario>;
export type ReasoningLevel = ReasoningScenario['difficulty'][number];

/** The JSON Schema of reasoning scenario files, for editors (fields with defaults optional). */
export function reasoningJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ReasoningScenario, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, title: 'Reverie reasoning scenario', description: 'A Reverie reasoning scenario file (YAML or JSON): kind reasoning, a task family and its difficulty levels.' };
}
