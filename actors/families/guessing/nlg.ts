import type { GuessingScenario, GuessingUserText } from '../../../scenarios/families/guessing.js';
import { GUESSING_USER_TEXTS } from '../../../scenarios/families/guessing.js';
import type { UserStyle } from '../../../scenarios/base.js';
import type { Rng } from '../../../scenarios/random.js';
import type { Act } from '../../acts.js';
import { attributeOf, compile, itemOf } from './model.js';
import type { GuessingPersona } from './model.js';
import { fillSlots } from '../template.js';

/**
 * Text for the guessing family's acts: several paraphrases per act and user style, filled with
 * the scenario's own wording ({fact}: one of an attribute's yes/no statements, {item}: how an item
 * is said, {subject}). A scenario's `texts` add paraphrases to these defaults.
 */

type Styled = Partial<Record<UserStyle | 'all', readonly string[]>>;
const STYLES: readonly UserStyle[] = ['terse', 'chatty', 'formal', 'casual'];

const USER: Record<GuessingUserText, Styled> = {
  open: {
    terse: ['Got one. Go.', 'Ready: {subject}.', 'Thinking of {subject}. Ask.'],
    casual: ["OK, I've got {subject} in mind. Go ahead!", "Alright, I'm thinking of {subject}. Ask away.", "Got it! It's {subject}. Your turn."],
    chatty: ["Ooh, fun! I'm thinking of {subject} — good luck figuring it out!", "Right, I've picked {subject}. I think it's a tricky one! Fire away.", "Okay okay, I have {subject} in my head. Let's see how fast you get it!"],
    formal: ['I have chosen {subject}. You may begin.', 'I am thinking of {subject}. Please ask your questions.', 'Very well, I have {subject} in mind.'],
  },
  yes: {
    terse: ['Yes.', 'Yep.', 'Yes', 'Correct.', 'Y.', 'Yeah.'],
    casual: ['Yeah!', 'Yep, {fact}.', 'Yeah, {fact}.', 'Uh-huh.', 'Yup!', 'Sure is.', 'Yes — {fact}.', 'Totally.'],
    chatty: ['Oh yes, {fact}!', 'Yes! Good question — {fact}.', 'Yeah, definitely, {fact}.', 'Mm-hm, {fact}, for sure.', 'Yes yes yes. {fact}, absolutely.', 'Ha, yes! {fact}.'],
    formal: ['Yes, {fact}.', 'That is correct: {fact}.', 'Indeed, {fact}.', 'Yes, that is right.', 'Affirmative.'],
  },
  no: {
    terse: ['No.', 'Nope.', 'No', 'Nah.', 'N.', 'Wrong.'],
    casual: ['Nope!', 'Nah, {fact}.', 'No, {fact}.', 'Not really, {fact}.', 'Nope, {fact}.', 'Uh, no.'],
    chatty: ['Oh no, {fact}!', 'Haha, no — {fact}.', 'No no, {fact}, not at all.', "Hmm, nope. {fact}, I'm afraid.", 'Not even close! {fact}.'],
    formal: ['No, {fact}.', 'That is not the case: {fact}.', 'I am afraid not; {fact}.', 'No, it is not.', 'Negative.'],
  },
  vague: {
    terse: ['Sort of.', 'Maybe.', 'Kind of.', 'Unsure.', 'Depends.'],
    casual: ['Hmm, sort of?', "I'm not sure, honestly.", 'Kinda? Hard to say.', 'Eh, it depends.', 'Maybe? Ask me something else.'],
    chatty: ["Ooh, tricky one. Sort of, I guess? It really depends how you look at it.", "Hmm, I honestly don't know! Kind of?", "That's a hard one — sometimes yes, sometimes no, I'd say.", "Gosh, I'm not sure how to answer that one."],
    formal: ['That is difficult to say.', 'In some respects, yes; in others, no.', 'I am not certain.', 'It depends on the circumstances.'],
  },
  also: {
    terse: ['Also: {fact}.', 'And {fact}.', 'Hint: {fact}.'],
    casual: ['Oh, and {fact}.', 'Also, {fact}.', "Here's a hint: {fact}.", 'By the way, {fact}.'],
    chatty: ["Oh, and I'll give you a freebie: {fact}!", "Plus — don't tell anyone — {fact}.", "And here's a little hint, {fact}.", 'Also, you might like to know that {fact}.'],
    formal: ['I might add that {fact}.', 'You may also wish to know that {fact}.', 'Furthermore, {fact}.'],
  },
  restless: {
    terse: ['Guess already.', 'Hurry up.', 'Just guess.'],
    casual: ['Come on, take a guess!', 'Are you going to guess soon?', "I'm getting bored here..."],
    chatty: ["This is taking ages — go on, just guess, I won't bite!", "I'm starting to lose interest, to be honest. Guess!", 'Tick tock! Surely you have an idea by now?'],
    formal: ['Perhaps you could venture a guess now.', 'I would appreciate it if you guessed soon.', 'Time is running short; please guess.'],
  },
  reject: {
    terse: ['No.', 'Nope. Not {item}.', 'Wrong.', 'Not {item}.', 'No, not {item}.'],
    casual: ["Nope, it's not {item}.", 'Nah, not {item}.', 'Nope! Try again.', 'Close, but no.', 'Not {item}, sorry!'],
    chatty: ["Ha! No, it's not {item}. Nice try though!", "Ooh, no, not {item}. Keep going!", "Nope, {item} is a good guess but it's not that.", 'Wrong! Not {item}. You can do it!'],
    formal: ['No, it is not {item}.', 'I am afraid it is not {item}.', 'That is incorrect; it is not {item}.'],
  },
  confirm: {
    terse: ['Yes. {item}.', 'Correct.', 'Right. {item}.', 'Yes.'],
    casual: ["Yes! It's {item}!", 'You got it — {item}!', 'Yep, {item}! Nice one.', 'That\'s it! {item}!'],
    chatty: ["YES! It's {item}! Wow, how did you get that?", "Oh my gosh, yes, {item}! You're good at this!", "Yes yes yes, {item}! Well played!"],
    formal: ['Correct, it is {item}. Well done.', 'Yes, I was thinking of {item}.', 'That is right: {item}. Congratulations.'],
  },
  leave: {
    terse: ["I'm out. It was {item}.", 'Done. {item}.', 'Enough. It was {item}.'],
    casual: ["Ugh, I give up on you — it was {item}. Bye!", "Let's stop here. It was {item}, by the way.", "I've gotta go. It was {item}!"],
    chatty: ["Okay, I'm bored now, sorry! It was {item}, of course. Maybe next time!", "You'll never get it, so I'll tell you: {item}! I'm off."],
    formal: ['I must end the game here. The answer was {item}.', 'I shall stop now. I was thinking of {item}.'],
  },
};

const ASK_PREFIX: readonly string[] = ['', '', '', 'OK. ', 'Next question: ', 'Hmm. ', 'Let me think. ', 'All right. ', 'Good. '];
const GUESS: readonly string[] = ['Is it {item}?', 'My guess: {item}.', "I think it's {item}!", 'Are you thinking of {item}?', 'Is it {item}, by any chance?', "I'll guess {item}.", 'Could it be {item}?'];

interface Texts {
  readonly user: Record<GuessingUserText, Record<UserStyle, readonly string[]>>;
  readonly guess: readonly string[];
  /** Per attribute: its question and paraphrases. */
  readonly questions: readonly (readonly string[])[];
}

const cache = new WeakMap<GuessingScenario, Texts>();

function texts(s: GuessingScenario): Texts {
  let t = cache.get(s);
  if (!t) {
    const extra = s.texts?.user ?? {};
    const user = {} as Record<GuessingUserText, Record<UserStyle, readonly string[]>>;
    for (const kind of GUESSING_USER_TEXTS) {
      const byStyle = {} as Record<UserStyle, readonly string[]>;
      for (const st of STYLES) {
        byStyle[st] = [...(USER[kind].all ?? []), ...(USER[kind][st] ?? []), ...(extra[kind]?.all ?? []), ...(extra[kind]?.[st] ?? [])];
      }
      user[kind] = byStyle;
    }
    t = { user, guess: [...GUESS, ...(s.texts?.agent?.guess ?? [])], questions: s.attributes.map((a) => [a.question, ...a.paraphrases]) };
    cache.set(s, t);
  }
  return t;
}

/** A lower-case letter that starts a sentence (after . ! or ?), where a slot put one. */
const SENTENCE_START = /(?<=[.!?] )[a-z]/g;

function fill(template: string, slots: Readonly<Record<string, string>>): string {
  const text = fillSlots(template, (k) => slots[k] ?? `{${k}}`).replace(SENTENCE_START, (m) => m.toUpperCase());
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function renderAgent(s: GuessingScenario, act: Act, rng: Rng): string {
  const c = compile(s);
  const t = texts(s);
  if (act.type === 'ask') return rng.pick(ASK_PREFIX) + rng.pick(t.questions[attributeOf(c, act)]);
  if (act.type === 'guess') return fill(rng.pick(t.guess), { item: c.say[itemOf(c, act)] });
  throw new Error(`the guessing family has no agent act '${act.type}'; expected ask or guess`);
}

export function renderUser(s: GuessingScenario, persona: GuessingPersona, act: Act, rng: Rng): string {
  const c = compile(s);
  const lines = texts(s).user;
  const say = (kind: GuessingUserText, slots: Readonly<Record<string, string>> = {}) => fill(rng.pick(lines[kind][persona.style]), slots);
  const args = act.args ?? {};
  let text: string;
  switch (act.type) {
    case 'open':
      text = say('open', { subject: s.subject });
      break;
    case 'answer': {
      const attr = s.attributes[attributeOf(c, act)];
      const value = args.value;
      text = value === 'yes' ? say('yes', { fact: rng.pick(attr.yes) }) : value === 'no' ? say('no', { fact: rng.pick(attr.no) }) : say('vague');
      break;
    }
    case 'reject':
      text = say('reject', { item: c.say[itemOf(c, act)] });
      break;
    case 'confirm':
      return say('confirm', { item: c.say[itemOf(c, act)] });
    case 'leave':
      return say('leave', { item: c.say[itemOf(c, act)] });
    default:
      throw new Error(`the guessing family has no user act '${act.type}'; expected open, answer, reject, confirm or leave`);
  }
  if (typeof args.also === 'string') {
    const attr = s.attributes[attributeOf(c, { args: { attribute: args.also } })];
    text += ' ' + say('also', { fact: rng.pick(args.alsoValue === 'no' ? attr.no : attr.yes) });
  }
  if (args.hurry === true) text += ' ' + say('restless');
  return text;
}
