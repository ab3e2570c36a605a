import { z } from 'zod';
import { ScenarioBase } from '../base.js';

/**
 * The guessing family (twenty questions): the user thinks of one item of a set; every item has
 * yes/no attributes. The agent asks about attributes or guesses an item; the user answers,
 * sometimes wrongly, vaguely or with an extra hint, and leaves when their patience runs out.
 * Everything domain-specific lives in this data: a new domain is a new file.
 */

const Name = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'names must be lowercase letters, digits and underscores, starting with a letter, e.g. "has_fur"');
const Texts = z.array(z.string().min(1)).min(1);

const Attribute = z.strictObject({
  name: Name.describe('identifier used by items and acts, e.g. "alive"'),
  question: z.string().min(1).describe('how the agent asks it, e.g. "Is it alive?"'),
  paraphrases: z.array(z.string().min(1)).default([]).describe('other ways to ask the same question'),
  yes: Texts.describe('how the user states it holds, lower case, e.g. "it\'s alive"'),
  no: Texts.describe('how the user states it does not hold, e.g. "it\'s not alive"'),
});
export type GuessingAttribute = z.infer<typeof Attribute>;

const Item = z.strictObject({
  name: z.string().min(1).describe('how the item is named in acts and lists, e.g. "dog"'),
  say: z.string().min(1).optional().describe('how it is named in a sentence, e.g. "a dog" (defaults to name)'),
  weight: z.number().positive().default(1).describe('popularity: how often people think of it (relative)'),
  has: z.array(z.string()).default([]).describe('attributes that hold for this item; the others do not'),
  partly: z
    .array(z.string())
    .default([])
    .describe('attributes that only sort of hold ("is a cat bigger than a breadbox?"): answers are vague or a coin flip'),
});
export type GuessingItem = z.infer<typeof Item>;

const Rewards = z.strictObject({
  turn: z.number().max(0).default(-1).describe('reward of every agent turn (a cost, so at most 0)'),
  success: z.number().min(0).default(20).describe('final reward when the agent names the item'),
  userLeft: z.number().max(0).default(-5).describe('final reward when the user gives up and leaves'),
});

const Reactions = z.strictObject({
  askCost: z.number().min(0).default(1).describe('patience a question costs'),
  wrongGuessCost: z.number().min(0).default(2).describe('patience a wrong guess costs (wild guessing annoys people)'),
  restlessAt: z.number().min(0).default(2).describe('patience left at which the user starts to urge a guess'),
  partlyVague: z.number().min(0).max(1).default(0.6).describe('probability of a vague answer on an attribute that only partly holds'),
  volunteerYes: z.number().min(0).max(1).default(0.7).describe('share of volunteered facts that say what holds (else what does not)'),
});

/** Templates keyed by user style; `all` applies to every style. */
const StyleTexts = z.strictObject({
  all: z.array(z.string().min(1)).optional(),
  terse: z.array(z.string().min(1)).optional(),
  chatty: z.array(z.string().min(1)).optional(),
  formal: z.array(z.string().min(1)).optional(),
  casual: z.array(z.string().min(1)).optional(),
});

/** Kinds of user utterance whose wording a scenario may extend. */
export const GUESSING_USER_TEXTS = ['open', 'yes', 'no', 'vague', 'also', 'restless', 'reject', 'confirm', 'leave'] as const;
export type GuessingUserText = (typeof GUESSING_USER_TEXTS)[number];

/** Kinds of agent utterance whose wording a scenario may extend. */
export const GUESSING_AGENT_TEXTS = ['guess'] as const;
export type GuessingAgentText = (typeof GUESSING_AGENT_TEXTS)[number];

export const GuessingScenario = ScenarioBase.extend({
  family: z.literal('guessing'),
  subject: z.string().min(1).describe('what the user thinks of, as said in a sentence, e.g. "an animal or a thing"'),
  attributes: z.array(Attribute).min(1).describe('yes/no questions; the agent has one ask action per attribute'),
  items: z.array(Item).min(2).describe('what the user may think of; the agent has one guess action per item'),
  rewards: Rewards.prefault({}),
  reactions: Reactions.prefault({}),
  texts: z
    .strictObject({
      user: z.partialRecord(z.enum(GUESSING_USER_TEXTS), StyleTexts).optional(),
      agent: z.partialRecord(z.enum(GUESSING_AGENT_TEXTS), z.array(z.string().min(1))).optional(),
    })
    .optional()
    .describe('extra paraphrases, added to the family\'s defaults ({item}, {fact}, {subject} are filled in)'),
}).superRefine((s, ctx) => {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const attrs = new Set<string>();
  s.attributes.forEach((a, i) => {
    if (attrs.has(a.name)) issue(['attributes', i, 'name'], `attribute name '${a.name}' is used twice; names must be unique`);
    attrs.add(a.name);
  });
  const known = [...attrs].join(', ');
  const names = new Map<string, number>();
  const signatures = new Map<string, number>();
  const holds = new Map<string, number>(); // attribute → items for which it clearly holds
  const touched = new Set<string>(); // attributes that hold, at least partly, for some item
  s.items.forEach((item, i) => {
    const first = names.get(item.name);
    if (first !== undefined) issue(['items', i, 'name'], `item name '${item.name}' is used twice (also items[${first}]); names must be unique`);
    else names.set(item.name, i);
    const seen = new Set<string>();
    for (const key of ['has', 'partly'] as const) {
      item[key].forEach((a, j) => {
        if (!attrs.has(a)) issue(['items', i, key, j], `unknown attribute '${a}'; expected one of: ${known}`);
        else if (seen.has(a)) issue(['items', i, key, j], `attribute '${a}' is listed twice for '${item.name}'; list it once, in has or in partly`);
        seen.add(a);
      });
    }
    for (const a of item.has) holds.set(a, (holds.get(a) ?? 0) + 1);
    for (const a of [...item.has, ...item.partly]) touched.add(a);
    const signature = s.attributes.map((a) => (item.has.includes(a.name) ? 'y' : item.partly.includes(a.name) ? '?' : 'n')).join('');
    const twin = signatures.get(signature);
    if (twin !== undefined && first === undefined) {
      issue(['items', i], `'${item.name}' has the same attributes as '${s.items[twin].name}' (items[${twin}]), so no question tells them apart; add an attribute that differs`);
    } else signatures.set(signature, i);
  });
  s.attributes.forEach((a, i) => {
    const n = holds.get(a.name) ?? 0;
    if (n === s.items.length) issue(['attributes', i, 'name'], `attribute '${a.name}' holds for every item, so asking it tells nothing; remove it or leave it out of some item's has`);
    else if (!touched.has(a.name)) issue(['attributes', i, 'name'], `attribute '${a.name}' holds for no item, so asking it tells nothing; add it to some item's has or remove it`);
  });
});
export type GuessingScenario = z.infer<typeof GuessingScenario>;
