import type { PreferenceScenario, PreferenceUserText, PreferenceAgentText } from '../../../scenarios/families/preference.js';
import type { UserStyle } from '../../../scenarios/base.js';
import type { Rng } from '../../../scenarios/random.js';
import type { Act, ArgValue } from '../../acts.js';
import { compile, labelOf } from './model.js';
import type { PreferencePersona } from './model.js';
import { fillSlots } from '../template.js';

/**
 * Text for acts: templates with several paraphrases per act and style (the family's defaults below,
 * plus the scenario's `texts`), slots filled with attribute labels, values and item names.
 * A user utterance is built from parts: [restless] [again] main sentence [limit] [also + volunteered fact].
 */

type ByStyle = Partial<Record<UserStyle | 'all', readonly string[]>>;

const USER: Record<PreferenceUserText, ByStyle> = {
  greet: {
    all: ['Hi! I\'m looking for a {noun}.', 'Hello, can you help me pick a {noun}?', 'Hey, I need some help choosing a {noun}.'],
    terse: ['Need a {noun}.', 'Looking for a {noun}.', 'Help me pick a {noun}.'],
    chatty: ['Hi there! I\'ve been meaning to sort this out for ages and I could really use help choosing a {noun}.', 'Oh hello! So, I need a {noun} and honestly I\'m a bit overwhelmed by all the options.'],
    formal: ['Good day. I would appreciate your help in choosing a {noun}.', 'Hello. I am looking for a suitable {noun}.'],
    casual: ['Hey! Got any good {nouns} for me?', 'Yo, I need a {noun}, what have you got?'],
  },
  also: {
    all: ['Oh, one more thing.', 'Also, this matters to me:', 'Something else you should know.'],
    terse: ['Also:', 'And:'],
    chatty: ['Oh, and before I forget!', 'Oh, and I should probably mention this too.'],
    formal: ['I should also mention the following.', 'Additionally:'],
    casual: ['Oh, and btw:', 'Also, fyi:'],
  },
  again: {
    all: ['As I said before.', 'I think I already told you.'],
    terse: ['Again:', 'Said that already.'],
    chatty: ['Oh, I think I mentioned this already, but sure!', 'Ha, you asked me that before, but okay.'],
    formal: ['As I mentioned earlier.', 'To repeat myself:'],
    casual: ['Like I said.', 'Um, you asked that already.'],
  },
  restless: {
    all: ['Can we wrap this up soon?', 'I\'m running out of time here.'],
    terse: ['Hurry up.', 'Quickly, please.'],
    chatty: ['Sorry, I really have to get going soon!', 'I don\'t mean to rush you, but I\'ve got to leave in a minute.'],
    formal: ['I am afraid I do not have much more time.', 'Could we please come to a decision soon?'],
    casual: ['Come on, let\'s speed this up.', 'Ugh, this is taking a while.'],
  },
  important: {
    all: ['That really matters to me.', 'That\'s important to me.', 'I feel strongly about that.'],
    terse: ['Important.', 'That matters.'],
    chatty: ['Honestly, that\'s one of the things I care about most!', 'I can\'t stress that enough, really.'],
    formal: ['I consider this a priority.', 'This is of particular importance to me.'],
    casual: ['That\'s kind of a big deal for me.', 'Really want that.'],
  },
  prefer: {
    all: ['I\'d love {value}.', 'Ideally {value}.', '{value} would be great.'],
    terse: ['{value}.', '{value}, ideally.'],
    chatty: ['Oh, I\'ve always dreamed of {value}, that would be amazing!', 'Honestly, {value} would make me so happy.'],
    formal: ['I would prefer {value}.', 'My preference would be {value}.'],
    casual: ['{value} would be awesome.', 'I\'m kind of into {value}.'],
  },
  target: {
    all: ['Something around {value}.', 'About {value} would be ideal.'],
    terse: ['Around {value}.', '{value}-ish.'],
    chatty: ['I\'d say something like {value}, give or take, that feels right to me.'],
    formal: ['Approximately {value}, if possible.'],
    casual: ['Roughly {value}, I guess.'],
  },
  lower: {
    all: ['The lower the {attribute}, the better.', 'I\'d rather keep the {attribute} low.'],
    terse: ['Low {attribute}.', 'Less is better.'],
    chatty: ['Honestly, the lower the {attribute} the happier I\'ll be!'],
    formal: ['I would prefer the {attribute} to be as low as possible.'],
    casual: ['Low {attribute} is my thing.'],
  },
  higher: {
    all: ['The higher the {attribute}, the better.', 'I\'d like the {attribute} on the high side.'],
    terse: ['High {attribute}.', 'More is better.'],
    chatty: ['Oh, the more {attribute} the better, honestly!'],
    formal: ['I would prefer the {attribute} to be as high as possible.'],
    casual: ['Crank up the {attribute}.'],
  },
  max: {
    all: ['No more than {value}.', 'My limit is {value}.', 'I can\'t go above {value}.'],
    terse: ['Max {value}.', 'Up to {value}.'],
    chatty: ['Well, I really can\'t go over {value}, I\'ve been very strict with myself about that.'],
    formal: ['I cannot exceed {value}.', 'The upper limit for me is {value}.'],
    casual: ['Nothing over {value}, ok?', '{value} tops.'],
  },
  min: {
    all: ['At least {value}.', 'Nothing below {value}.'],
    terse: ['Min {value}.'],
    chatty: ['It has to be at least {value}, otherwise what\'s the point?'],
    formal: ['I require at least {value}.'],
    casual: ['{value} or more.'],
  },
  eq: {
    all: ['I need {value}.', '{value} is a must.'],
    terse: ['Must be {value}.', 'Need {value}.'],
    chatty: ['Oh, this is really important: I absolutely need {value}, no way around it.'],
    formal: ['{value} is an absolute requirement for me.'],
    casual: ['Gotta have {value}.', '{value}, non-negotiable.'],
  },
  ne: {
    all: ['Anything but {value}.', 'Please, not {value}.', 'I don\'t want {value}.'],
    terse: ['Not {value}.', 'No {value}.'],
    chatty: ['Oh gosh, anything except {value}, I really can\'t stand that.'],
    formal: ['I would rather avoid {value} entirely.'],
    casual: ['{value}? Nope, no way.'],
  },
  is: {
    all: ['{value}.', 'Well, {value}.'],
    terse: ['{value}.'],
    chatty: ['Oh, so {value}, just so you know!'],
    formal: ['For your information, {value}.'],
    casual: ['So, {value}.'],
  },
  any: {
    all: ['I don\'t mind about the {attribute}.', 'No strong feelings on {attribute}.', 'The {attribute} doesn\'t matter much to me.'],
    terse: ['Don\'t care.', 'Any {attribute}.', 'Doesn\'t matter.'],
    chatty: ['Oh, {attribute}? Honestly, I\'m pretty flexible there, anything works!'],
    formal: ['I have no particular preference regarding {attribute}.'],
    casual: ['Whatever, {attribute} isn\'t a big deal.', 'Eh, any {attribute} is fine.'],
  },
  vague: {
    all: ['Hmm, not sure about {attribute}.', 'I haven\'t really thought about {attribute}.', 'Good question, I don\'t know.'],
    terse: ['Not sure.', 'Dunno.'],
    chatty: ['Oh, that\'s a tough one! I keep changing my mind about {attribute}, to be honest.'],
    formal: ['I am not certain about {attribute} yet.'],
    casual: ['Hmm, no idea really.', 'Eh, {attribute}? Depends, I guess.'],
  },
  accept: {
    all: ['{item} sounds perfect!', 'Yes, let\'s go with {item}.', 'Great, {item} it is.'],
    terse: ['{item}. Yes.', 'Fine, {item}.'],
    chatty: ['Oh wow, {item}! That sounds absolutely wonderful, let\'s do it!', '{item}? I love it, thank you so much!'],
    formal: ['{item} would suit me very well. Thank you.', 'I accept {item}, thank you for your help.'],
    casual: ['{item}, nice! Sold.', 'Ooh, {item}, yeah let\'s do that.'],
  },
  rejectOver: {
    all: ['{item}? No, {phrase}.', 'Hmm, not {item}: {phrase}.'],
    terse: ['No. {phrase}.', '{item}: {phrase}.'],
    chatty: ['Oh, {item} looks lovely, but {phrase}, unfortunately.'],
    formal: ['I am afraid {item} will not do: {phrase}.'],
    casual: ['Nah, {item}, {phrase}.'],
  },
  rejectUnder: {
    all: ['{item}? No, {phrase}.', 'Hmm, not {item}: {phrase}.'],
    terse: ['No. {phrase}.'],
    chatty: ['Hmm, {item} is nice in its way, but {phrase}.'],
    formal: ['I am afraid {item} will not do: {phrase}.'],
    casual: ['Meh, {item}, {phrase}.'],
  },
  rejectNeed: {
    all: ['{item} won\'t work, I need {value}.', 'No, {value} is a must.'],
    terse: ['No. Need {value}.'],
    chatty: ['Oh no, {item} won\'t work for us at all, we really need {value}!'],
    formal: ['{item} is not suitable; I require {value}.'],
    casual: ['Nope, {item} doesn\'t cut it, gotta have {value}.'],
  },
  rejectWant: {
    all: ['{item}? I\'d rather {value}.', 'Not really. I was hoping for {value}.', 'Hmm, {item} isn\'t quite it. More like {value}.'],
    terse: ['No. {value}, rather.', 'Prefer {value}.'],
    chatty: ['Oh, {item} is nice, but I was really picturing {value}, you know?'],
    formal: ['{item} is not quite what I had in mind; I would prefer {value}.'],
    casual: ['Eh, {item}? I\'m more into {value}.'],
  },
  rejectAvoid: {
    all: ['No, not {value}.', '{item} means {value}, and I don\'t want that.'],
    terse: ['No {value}.'],
    chatty: ['Oh no, {item} is {value}, and that\'s exactly what I wanted to avoid!'],
    formal: ['I would rather not: {value} is something I wish to avoid.'],
    casual: ['Ugh, {value}? Pass.'],
  },
  rejectVague: {
    all: ['Hmm, not really for me.', 'I don\'t know, {item} doesn\'t feel right.'],
    terse: ['No.', 'Pass.'],
    chatty: ['Hmm, I can\'t quite put my finger on it, but {item} just isn\'t doing it for me.'],
    formal: ['I do not think {item} is right for me.'],
    casual: ['Nah, not feeling {item}.', 'Meh.'],
  },
  leave: {
    all: ['I think I\'ll look elsewhere. Bye.', 'This is taking too long, goodbye.'],
    terse: ['Forget it. Bye.', 'I\'m done.'],
    chatty: ['Sorry, I really have to run, I\'ll figure it out on my own. Bye!'],
    formal: ['Thank you for your time, but I will make other arrangements.'],
    casual: ['Ok, never mind, I\'m out.', 'Forget it, later.'],
  },
};

const AGENT: Record<PreferenceAgentText, readonly string[]> = {
  ask: ['What about {attribute}?', 'Do you have any preference on {attribute}?', 'How do you feel about {attribute}?', 'Anything in mind regarding {attribute}?'],
  recommend: ['How about {item}?', 'I\'d suggest {item}.', 'You might like {item}.', 'What do you think of {item}?'],
  recommendWith: ['How about {item}? {description}', 'I\'d recommend {item}: {description}', 'Have a look at {item}. {description}'],
};

interface Templates {
  user: Record<PreferenceUserText, Record<UserStyle, readonly string[]>>;
  agent: Record<PreferenceAgentText, readonly string[]>;
}

const STYLES: readonly UserStyle[] = ['terse', 'chatty', 'formal', 'casual'];
const cache = new WeakMap<PreferenceScenario, Templates>();

/** The family's templates merged with the scenario's, per kind and style (built once per scenario). */
function templates(s: PreferenceScenario): Templates {
  const hit = cache.get(s);
  if (hit) return hit;
  const user = {} as Templates['user'];
  for (const kind of Object.keys(USER) as PreferenceUserText[]) {
    const extra = s.texts?.user?.[kind];
    const byStyle = {} as Record<UserStyle, readonly string[]>;
    for (const style of STYLES) {
      byStyle[style] = [...(USER[kind].all ?? []), ...(USER[kind][style] ?? []), ...(extra?.all ?? []), ...(extra?.[style] ?? [])];
    }
    user[kind] = byStyle;
  }
  const agent = {} as Templates['agent'];
  for (const kind of Object.keys(AGENT) as PreferenceAgentText[]) agent[kind] = [...AGENT[kind], ...(s.texts?.agent?.[kind] ?? [])];
  const t = { user, agent };
  cache.set(s, t);
  return t;
}

function fill(template: string, slots: Readonly<Record<string, string>>): string {
  const text = fillSlots(template, (k) => slots[k] ?? '');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** How a value of an attribute or trait is said, e.g. 'warm' → "somewhere warm", 120 → "$120 a day". */
export function sayValue(s: PreferenceScenario, name: string, value: ArgValue | undefined): string {
  const c = compile(s);
  const trait = c.traits.get(name);
  if (trait) {
    const v = trait.values.find((x) => x.value === value);
    return v?.say ?? `${labelOf(s, name)}: ${String(value)}`;
  }
  const a = c.attributes.get(name);
  if (!a) return String(value);
  if (a.kind === 'boolean') {
    const thing = a.say ?? labelOf(s, name);
    return value === false ? `no ${thing}` : thing;
  }
  const text = String(value);
  return a.say ? fillSlots(a.say, (k) => (k === 'value' ? text : `{${k}}`)) : text;
}

function slotsFor(s: PreferenceScenario, attribute: string, value: ArgValue | undefined): Record<string, string> {
  return { attribute: labelOf(s, attribute), value: sayValue(s, attribute, value), noun: s.noun.singular, nouns: s.noun.plural };
}

function phraseOf(s: PreferenceScenario, attribute: string, reason: 'over' | 'under', rng: Rng): string {
  const a = compile(s).attributes.get(attribute);
  const label = labelOf(s, attribute);
  const list = a && a.kind === 'numeric' ? a[reason] : undefined;
  if (list) return rng.pick(list);
  return reason === 'over' ? `the ${label} is too high` : `the ${label} is too low`;
}

export function renderUser(s: PreferenceScenario, p: PreferencePersona, act: Act, rng: Rng): string {
  const t = templates(s).user;
  const style = p.style;
  const args = act.args ?? {};
  const say = (kind: PreferenceUserText, slots: Readonly<Record<string, string>>) => fill(rng.pick(t[kind][style]), slots);
  const parts: string[] = [];
  if (args.restless === true) parts.push(say('restless', {}));
  switch (act.type) {
    case 'greet':
      parts.push(say('greet', slotsFor(s, '', undefined)));
      break;
    case 'inform': {
      if (args.again === true) parts.push(say('again', {}));
      const attribute = String(args.attribute);
      parts.push(say(String(args.stance) as PreferenceUserText, slotsFor(s, attribute, args.value)));
      if (args.strong === true) parts.push(say('important', {}));
      break;
    }
    case 'accept':
      parts.push(say('accept', { item: String(args.item) }));
      break;
    case 'reject': {
      const reason = String(args.reason);
      const attribute = args.attribute === undefined ? '' : String(args.attribute);
      const slots = { ...slotsFor(s, attribute, args.value), item: String(args.item) };
      if (reason === 'over' || reason === 'under') {
        parts.push(say(reason === 'over' ? 'rejectOver' : 'rejectUnder', { ...slots, phrase: phraseOf(s, attribute, reason, rng) }));
        if (args.hard === true && args.value !== undefined) parts.push(say(reason === 'over' ? 'max' : 'min', slots));
      } else if (reason === 'need') parts.push(say('rejectNeed', slots));
      else if (reason === 'want') parts.push(say('rejectWant', slots));
      else if (reason === 'avoid') parts.push(say('rejectAvoid', slots));
      else parts.push(say('rejectVague', slots));
      break;
    }
    case 'leave':
      parts.push(say('leave', {}));
      break;
    default:
      throw new Error(`cannot render user act '${act.type}'; expected greet, inform, accept, reject or leave`);
  }
  if (args.also !== undefined) {
    parts.push(say('also', {}));
    parts.push(say(String(args.alsoStance) as PreferenceUserText, slotsFor(s, String(args.also), args.alsoValue)));
    if (args.alsoStrong === true) parts.push(say('important', {}));
  }
  return parts.join(' ');
}

export function renderAgent(s: PreferenceScenario, act: Act, rng: Rng): string {
  const t = templates(s).agent;
  const c = compile(s);
  if (act.type === 'ask') {
    const name = String(act.args?.attribute);
    const own = c.attributes.get(name)?.questions ?? c.traits.get(name)?.questions ?? [];
    // The scenario's own questions are drawn half the time, the generic ones otherwise.
    const list = own.length > 0 && rng.bernoulli(0.5) ? own : t.ask;
    return fill(rng.pick(list), { attribute: labelOf(s, name), noun: s.noun.singular, nouns: s.noun.plural });
  }
  if (act.type === 'recommend') {
    const i = c.itemIndex.get(String(act.args?.item));
    const item = i === undefined ? undefined : s.items[i];
    const description = item?.description;
    const list = description && rng.bernoulli(0.5) ? t.recommendWith : t.recommend;
    return fill(rng.pick(list), { item: String(act.args?.item), description: description ?? '', noun: s.noun.singular, nouns: s.noun.plural });
  }
  throw new Error(`cannot render agent act '${act.type}'; expected ask or recommend`);
}
