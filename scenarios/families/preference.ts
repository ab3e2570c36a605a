import { z } from 'zod';
import { ScenarioBase } from '../base.js';

/**
 * The preference-elicitation family: a catalogue of items with typed attributes, and a user with
 * hidden preferences (weighted favourite values, ideal numbers), hard constraints (a budget, a need)
 * and traits (who they travel with) that imply constraints. The agent asks about attributes and
 * recommends items; the user accepts an item that meets every constraint and is close to their best,
 * else rejects it with feedback. Everything domain-specific lives in this data.
 */

const Probability = z.number().min(0).max(1);
const Name = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'names must be lowercase letters, digits and underscores, starting with a letter, e.g. "kid_friendly"');
const Texts = z.array(z.string().min(1)).min(1);
const Value = z.union([z.string(), z.number(), z.boolean()]);

const Range = z
  .strictObject({ min: z.number(), max: z.number() })
  .refine((r) => r.max >= r.min, { message: 'max must be at least min' });

/** Fields every attribute has, whatever its kind. */
const attributeCommon = {
  name: Name.describe('identifier used in items, acts and references, e.g. "climate"'),
  label: z.string().min(1).optional().describe('how people call it in text (defaults to name with spaces)'),
  askable: z.boolean().default(true).describe('whether the agent has an ask(attribute) action for it'),
  questions: Texts.optional().describe('how the agent asks about it, e.g. "What sort of weather do you enjoy?"'),
  say: z
    .string()
    .min(1)
    .optional()
    .describe('how a value is named in a sentence; {value} is the value, e.g. "somewhere {value}" or "${value} a day"; for a boolean, the thing itself, e.g. "wheelchair access"'),
};

const CategoricalAttribute = z.strictObject({
  ...attributeCommon,
  kind: z.literal('categorical'),
  values: z.array(z.string().min(1)).min(2).describe('the domain: every item takes one of these'),
});

const NumericAttribute = z.strictObject({
  ...attributeCommon,
  kind: z.literal('numeric'),
  min: z.number().describe('smallest value an item may take'),
  max: z.number().describe('largest value an item may take'),
  step: z.number().positive().default(1).describe('people round numbers they say to this step'),
  over: Texts.optional().describe('how a user says a value is too high, e.g. "too expensive"'),
  under: Texts.optional().describe('how a user says a value is too low, e.g. "too sleepy"'),
});

const BooleanAttribute = z.strictObject({
  ...attributeCommon,
  kind: z.literal('boolean'),
});

const Attribute = z.discriminatedUnion('kind', [CategoricalAttribute, NumericAttribute, BooleanAttribute]);
export type PreferenceAttribute = z.infer<typeof Attribute>;

const Item = z.strictObject({
  name: z.string().min(1).describe('how the item is called in text, e.g. "Kyoto temples"'),
  description: z.string().min(1).optional().describe('a short blurb the agent may add when recommending it'),
  attributes: z.record(z.string(), Value).describe('a value for every attribute of the scenario'),
});
export type PreferenceItem = z.infer<typeof Item>;

/** A constraint implied by a trait value (fixed), e.g. travelling with kids → kid_friendly must be true. */
const ImpliedConstraint = z.strictObject({
  attribute: z.string().describe('the constrained attribute'),
  max: z.number().optional().describe('numeric: item value must be at most this'),
  min: z.number().optional().describe('numeric: item value must be at least this'),
  equals: z.union([z.string(), z.boolean()]).optional().describe('categorical or boolean: item value must be this'),
  not: z.string().optional().describe('categorical: item value must not be this'),
});

const Trait = z.strictObject({
  name: Name.describe('identifier used in acts, e.g. "companions"'),
  label: z.string().min(1).optional().describe('how people call it in text'),
  askable: z.boolean().default(true),
  questions: Texts.optional().describe('how the agent asks about it, e.g. "Who is coming along?"'),
  values: z
    .array(
      z.strictObject({
        value: z.string().min(1),
        weight: z.number().positive().describe('relative probability of this value'),
        say: z.string().min(1).optional().describe('how the user says it, e.g. "I\'m bringing my two kids"'),
        implies: z.array(ImpliedConstraint).default([]).describe('constraints that come with this value'),
      }),
    )
    .min(2),
});
export type PreferenceTrait = z.infer<typeof Trait>;

/** How a persona's preference on one attribute is drawn. Exactly one of values / target / direction / value. */
const PreferenceSpec = z.strictObject({
  attribute: z.string(),
  probability: Probability.default(1).describe('probability that a persona cares about this attribute at all'),
  weight: Range.describe('importance, drawn uniformly in [min, max]'),
  values: z
    .record(z.string(), z.number().positive())
    .optional()
    .describe('categorical: the favourite value is drawn in proportion to these weights'),
  target: Range.optional().describe('numeric: the ideal value is drawn uniformly in [min, max] (rounded to step)'),
  direction: z.enum(['lower', 'higher']).optional().describe('numeric: lower (or higher) is better'),
  value: z.boolean().optional().describe('boolean: the preferred value'),
});

/** How a persona's hard constraint on one attribute is drawn. Exactly one of max / min / equals / not. */
const ConstraintSpec = z.strictObject({
  attribute: z.string(),
  probability: Probability.default(1).describe('probability that a persona has this constraint'),
  max: Range.optional().describe('numeric: a limit drawn uniformly in [min, max] (rounded to step); items above it are out'),
  min: Range.optional().describe('numeric: a floor drawn uniformly in [min, max]; items below it are out'),
  equals: z.union([z.string(), z.boolean()]).optional().describe('categorical or boolean: items must have this value'),
  not: z
    .record(z.string(), z.number().positive())
    .optional()
    .describe('categorical: one value drawn by these weights is ruled out'),
});

const PersonaSpace = z.strictObject({
  tolerance: Range.describe('the user accepts an item whose utility (0..1) is within this margin of their best'),
  preferences: z.array(PreferenceSpec).min(1).describe('weighted soft preferences'),
  constraints: z.array(ConstraintSpec).default([]).describe('hard constraints'),
});

const Rewards = z.strictObject({
  turnCost: z.number().min(0).max(2).default(0.5).describe('reward subtracted per agent turn'),
  reject: z.number().min(0).max(5).default(1).describe('reward subtracted when a recommendation is rejected (lost trust)'),
  accept: z.number().min(0).max(10).default(10).describe('final reward when the user accepts, scaled by utility / best utility'),
  leave: z.number().min(0).max(10).default(0).describe('final reward subtracted when the user walks out'),
});

const Reactions = z.strictObject({
  rejectCost: z.number().min(0).default(1).describe('patience lost on top of the turn when a recommendation is rejected'),
  repeatCost: z.number().min(0).default(1).describe('patience lost on top of the turn when asked the same thing again'),
  revealLimit: Probability.default(0.5).describe('probability that a rejection for a broken limit says the limit'),
  restlessAt: z.number().min(0).default(2).describe('patience left at which the user starts to sound impatient'),
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
export const PREFERENCE_USER_TEXTS = [
  'greet', 'also', 'again', 'restless', 'important',
  'prefer', 'target', 'lower', 'higher', 'max', 'min', 'eq', 'ne', 'is', 'any', 'vague',
  'accept', 'rejectOver', 'rejectUnder', 'rejectNeed', 'rejectWant', 'rejectAvoid', 'rejectVague', 'leave',
] as const;
export type PreferenceUserText = (typeof PREFERENCE_USER_TEXTS)[number];

/** Kinds of agent utterance whose wording a scenario may extend. */
export const PREFERENCE_AGENT_TEXTS = ['ask', 'recommend', 'recommendWith'] as const;
export type PreferenceAgentText = (typeof PREFERENCE_AGENT_TEXTS)[number];

/** Slots a template may use. */
export const PREFERENCE_SLOTS = ['attribute', 'value', 'item', 'description', 'noun', 'nouns', 'phrase'] as const;

/** The maximum size of the action catalogue (one ask per askable attribute or trait, one recommend per item). */
export const PREFERENCE_MAX_ACTIONS = 64;

export const PreferenceScenario = ScenarioBase.extend({
  family: z.literal('preference-elicitation'),
  noun: z
    .strictObject({ singular: z.string().min(1), plural: z.string().min(1) })
    .describe('what an item is called, e.g. destination / destinations'),
  attributes: z.array(Attribute).min(1).describe('typed attributes every item has'),
  traits: z.array(Trait).default([]).describe('persona facts that imply constraints (e.g. companions)'),
  items: z.array(Item).min(2).describe('the catalogue the agent recommends from'),
  persona: PersonaSpace,
  rewards: Rewards.prefault({}),
  reactions: Reactions.prefault({}),
  texts: z
    .strictObject({
      user: z.partialRecord(z.enum(PREFERENCE_USER_TEXTS), StyleTexts).optional(),
      agent: z.partialRecord(z.enum(PREFERENCE_AGENT_TEXTS), z.array(z.string().min(1))).optional(),
    })
    .optional()
    .describe('extra paraphrases, added to the family\'s defaults'),
}).superRefine((s, ctx) => {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const attrs = new Map<string, PreferenceAttribute>();
  const known = () => [...attrs.keys()].join(', ');
  s.attributes.forEach((a, i) => {
    if (attrs.has(a.name)) issue(['attributes', i, 'name'], `attribute name '${a.name}' is used twice; names must be unique`);
    attrs.set(a.name, a);
    if (a.kind === 'numeric' && a.max <= a.min) issue(['attributes', i, 'max'], `max must be above min (${a.min}), got ${a.max}`);
    if (a.kind === 'categorical' && new Set(a.values).size !== a.values.length) issue(['attributes', i, 'values'], 'values must be distinct');
  });
  const traitNames = new Set<string>();
  s.traits.forEach((t, i) => {
    if (attrs.has(t.name) || traitNames.has(t.name)) issue(['traits', i, 'name'], `trait name '${t.name}' is already used by an attribute or trait; names must be unique`);
    traitNames.add(t.name);
  });

  /** Checks that `value` fits attribute `name`; returns the attribute when it exists. */
  const checkValue = (name: string, value: unknown, path: (string | number)[]): void => {
    const a = attrs.get(name);
    if (!a) return;
    if (a.kind === 'categorical' && !(typeof value === 'string' && a.values.includes(value))) {
      issue(path, `'${String(value)}' is not a value of '${name}'; expected one of: ${a.values.join(', ')}`);
    } else if (a.kind === 'numeric' && !(typeof value === 'number' && value >= a.min && value <= a.max)) {
      issue(path, `'${String(value)}' is outside '${name}'; expected a number in [${a.min}, ${a.max}]`);
    } else if (a.kind === 'boolean' && typeof value !== 'boolean') {
      issue(path, `'${String(value)}' is not a boolean; '${name}' takes true or false`);
    }
  };
  const checkAttribute = (name: string, path: (string | number)[], kinds?: readonly PreferenceAttribute['kind'][], what?: string): PreferenceAttribute | undefined => {
    const a = attrs.get(name);
    if (!a) { issue(path, `unknown attribute '${name}'; expected one of: ${known()}`); return undefined; }
    if (kinds && !kinds.includes(a.kind)) issue(path, `${what} needs a ${kinds.join(' or ')} attribute, but '${name}' is ${a.kind}`);
    return a;
  };

  const itemNames = new Set<string>();
  s.items.forEach((item, i) => {
    if (itemNames.has(item.name)) issue(['items', i, 'name'], `item name '${item.name}' is used twice; names must be unique`);
    itemNames.add(item.name);
    for (const [k, v] of Object.entries(item.attributes)) {
      if (!attrs.has(k)) issue(['items', i, 'attributes', k], `unknown attribute '${k}'; expected one of: ${known()}`);
      else checkValue(k, v, ['items', i, 'attributes', k]);
    }
    for (const a of attrs.keys()) {
      if (!(a in item.attributes)) issue(['items', i, 'attributes'], `item '${item.name}' has no value for attribute '${a}'; every item needs every attribute`);
    }
  });

  s.traits.forEach((t, i) => {
    t.values.forEach((v, j) => {
      v.implies.forEach((c, k) => {
        const path = ['traits', i, 'values', j, 'implies', k];
        const set = (['max', 'min', 'equals', 'not'] as const).filter((key) => c[key] !== undefined);
        if (set.length !== 1) { issue(path, `an implied constraint needs exactly one of max, min, equals, not; got ${set.length ? set.join(', ') : 'none'}`); return; }
        const a = checkAttribute(c.attribute, [...path, 'attribute'], set[0] === 'max' || set[0] === 'min' ? ['numeric'] : set[0] === 'not' ? ['categorical'] : ['categorical', 'boolean'], `'${set[0]}'`);
        if (a) checkValue(c.attribute, c[set[0]], [...path, set[0]]);
      });
    });
  });

  s.persona.preferences.forEach((p, i) => {
    const path = ['persona', 'preferences', i];
    const a = checkAttribute(p.attribute, [...path, 'attribute']);
    if (p.weight.min < 0) issue([...path, 'weight', 'min'], `weights must be non-negative, got ${p.weight.min}`);
    if (!a) return;
    const set = (['values', 'target', 'direction', 'value'] as const).filter((key) => p[key] !== undefined);
    const expected = a.kind === 'categorical' ? ['values'] : a.kind === 'numeric' ? ['target', 'direction'] : ['value'];
    if (set.length !== 1 || !expected.includes(set[0])) {
      issue(path, `a preference on ${a.kind} attribute '${a.name}' needs exactly one of: ${expected.join(', ')}; got ${set.length ? set.join(', ') : 'none'}`);
      return;
    }
    if (p.values) for (const v of Object.keys(p.values)) checkValue(a.name, v, [...path, 'values', v]);
    if (p.target) { checkValue(a.name, p.target.min, [...path, 'target', 'min']); checkValue(a.name, p.target.max, [...path, 'target', 'max']); }
  });

  s.persona.constraints.forEach((c, i) => {
    const path = ['persona', 'constraints', i];
    const set = (['max', 'min', 'equals', 'not'] as const).filter((key) => c[key] !== undefined);
    if (set.length !== 1) { issue(path, `a constraint needs exactly one of max, min, equals, not; got ${set.length ? set.join(', ') : 'none'}`); return; }
    const key = set[0];
    const a = checkAttribute(c.attribute, [...path, 'attribute'], key === 'max' || key === 'min' ? ['numeric'] : key === 'not' ? ['categorical'] : ['categorical', 'boolean'], `'${key}'`);
    if (!a) return;
    if (key === 'max' || key === 'min') {
      const r = c[key]!;
      checkValue(a.name, r.min, [...path, key, 'min']);
      checkValue(a.name, r.max, [...path, key, 'max']);
    } else if (key === 'equals') checkValue(a.name, c.equals, [...path, 'equals']);
    else for (const v of Object.keys(c.not!)) checkValue(a.name, v, [...path, 'not', v]);
  });

  const askables = s.attributes.filter((a) => a.askable).length + s.traits.filter((t) => t.askable).length;
  const size = askables + s.items.length;
  if (size > PREFERENCE_MAX_ACTIONS) {
    issue(['items'], `${askables} askable attributes and traits + ${s.items.length} items = ${size} actions, more than ${PREFERENCE_MAX_ACTIONS}; use fewer items or mark attributes askable: false`);
  }
  if (s.user.patience.min < 2) issue(['user', 'patience', 'min'], 'patience.min must be at least 2 for preference elicitation (one question and one recommendation)');

  const checkSlots = (text: string, path: (string | number)[]) => {
    for (const m of text.matchAll(/\{([^}]*)\}/g)) {
      if (!(PREFERENCE_SLOTS as readonly string[]).includes(m[1])) {
        issue(path, `unknown slot {${m[1]}}; expected one of ${PREFERENCE_SLOTS.map((x) => `{${x}}`).join(' ')}`);
      }
    }
  };
  s.attributes.forEach((a, i) => {
    a.questions?.forEach((q, j) => checkSlots(q, ['attributes', i, 'questions', j]));
    if (a.say !== undefined) checkSlots(a.say, ['attributes', i, 'say']);
  });
  s.traits.forEach((t, i) => t.questions?.forEach((q, j) => checkSlots(q, ['traits', i, 'questions', j])));
  for (const [kind, byStyle] of Object.entries(s.texts?.user ?? {})) {
    for (const [style, list] of Object.entries(byStyle ?? {})) {
      (list ?? []).forEach((t, i) => checkSlots(t, ['texts', 'user', kind, style, i]));
    }
  }
  for (const [kind, list] of Object.entries(s.texts?.agent ?? {})) {
    (list ?? []).forEach((t, i) => checkSlots(t, ['texts', 'agent', kind, i]));
  }
});
export type PreferenceScenario = z.infer<typeof PreferenceScenario>;
