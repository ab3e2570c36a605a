import type { UserStyle } from '../../../scenarios/base.js';
import type { TutoringAgentText, TutoringScenario, TutoringUserText } from '../../../scenarios/families/tutoring.js';
import type { Rng } from '../../../scenarios/random.js';
import type { Act } from '../../acts.js';
import type { TutoringPersona } from './persona.js';
import { compile } from './model.js';
import { fillSlots } from '../template.js';

/**
 * Text of tutoring acts: the family's default paraphrases, plus the scenario's own (`texts`),
 * by act kind and user style; slots {concept} {subject} {answer} {question} {level} are filled
 * from the scenario's concepts, their quiz items and the levels' phrases.
 */

type Styled = Partial<Record<UserStyle | 'all', readonly string[]>>;

const USER: Record<TutoringUserText, Styled> = {
  greet: {
    terse: ['Hi. I need help with {subject}.', 'Hello. {subject}, please.', 'Hi. Exam soon. {subject}.'],
    chatty: [
      'Hi there! So I have a test coming up on {subject} and honestly I am a bit lost.',
      'Hello! My teacher said I should get some extra help with {subject}, so here I am.',
      'Hey! I have been meaning to sort out {subject} for ages, thanks for making time.',
    ],
    formal: ['Good afternoon. I would like some help with {subject}.', 'Hello. I am preparing for an assessment on {subject}.', 'Good morning. Could we work on {subject} today?'],
    casual: ['hey, can you help me with {subject}?', 'hi! {subject} again...', 'hey, so {subject} is kind of a mess for me'],
  },
  correct: {
    terse: ['{answer}.', '{answer}?', 'It is {answer}.'],
    chatty: ['Okay so for "{question}" I think it is {answer}, because that is how we did it in class.', 'Oh I know this one! {answer}.', 'Let me think... {question}... yes, {answer}, I am fairly sure.'],
    formal: ['The answer is {answer}.', 'I believe it is {answer}.', 'For "{question}", the answer would be {answer}.'],
    casual: ['{answer}, right?', 'easy, {answer}', 'pretty sure it is {answer}'],
  },
  mixed: {
    terse: ['{answer} for one. Rest unsure.', 'Some. {answer}?', 'Half of them, maybe.'],
    chatty: ['Okay, the first one is {answer}, I think, but the others totally lost me.', 'So for "{question}" I said {answer}, and the rest were guesses, honestly.', 'Some of those I knew! Others... not so much.'],
    formal: ['I could answer some of them; for "{question}" I have {answer}.', 'I am confident about part of it, less so about the rest.', 'I answered {answer} for the first; the others I found harder.'],
    casual: ['got some, {answer} for that one at least', 'kinda? {answer} and then I guessed', 'half right maybe'],
  },
  wrong: {
    terse: ['{answer}.', '{answer}?', 'Maybe {answer}.'],
    chatty: ['Hmm, for "{question}"... I want to say {answer}? That is what popped into my head.', 'Is it {answer}? I always mix these up.', 'Okay, wild guess, {answer}! Do not laugh.'],
    formal: ['I would say {answer}.', 'My answer is {answer}.', 'For "{question}", I believe it is {answer}.'],
    casual: ['uh, {answer}?', '{answer} I guess', 'probably {answer}?'],
  },
  unsure: {
    terse: ['No idea.', 'Not sure.', 'Pass.'],
    chatty: ['Oh no, I really do not know this one, {concept} always trips me up.', 'Honestly? I have no clue. Something to do with {concept}, right?', 'Hmm, I knew this last week, I think... no, it is gone.'],
    formal: ['I am afraid I do not know.', 'I am not certain about {concept}.', 'I would rather not guess on that one.'],
    casual: ['no clue tbh', 'idk, {concept} is not my thing', 'ugh, not sure'],
  },
  gotIt: {
    terse: ['Got it.', 'Makes sense.', 'Clear.'],
    chatty: ['Oh, that actually makes sense now! Why did nobody explain {concept} like that before?', 'Ahh okay, I think I get {concept} now, that clicked.', 'Wait, so that is all it is? Nice, that helps a lot.'],
    formal: ['Thank you, that is clear.', 'I understand {concept} much better now.', 'That explanation was helpful.'],
    casual: ['ohh ok got it', 'nice, that makes sense', 'ok yeah, {concept} clicked'],
  },
  ok: {
    terse: ['Okay.', 'Fine.', 'Sure.'],
    chatty: ['Okay, I think I follow. Mostly.', 'Right, right. Go on then.', 'Hmm okay, I will have to think about that one a bit.'],
    formal: ['I see.', 'Understood.', 'Very well.'],
    casual: ['ok', 'sure', 'alright'],
  },
  bored: {
    terse: ['I know that.', 'Too basic.', 'Yes, yes.'],
    chatty: ['Sorry, but this feels a bit like baby steps, I think I am past that for {concept}.', 'Yeah, we did that part in class, could we go a bit deeper?', 'Hmm, that is the easy bit, I was hoping for something more challenging.'],
    formal: ['That is rather elementary, if I may say so.', 'I am familiar with that; perhaps we could go further.', 'Could we treat {concept} at a more advanced level?'],
    casual: ['yeah I know that part', 'kinda easy tbh', 'can we skip the basics?'],
  },
  confused: {
    terse: ['Lost me.', 'Too fast.', 'What?'],
    chatty: ['Wait wait, you lost me there. That was a lot of {concept} all at once.', 'Hmm, I did not really follow that. Could you go slower?', 'Okay, now I am more confused about {concept} than before, sorry!'],
    formal: ['I am afraid I did not follow that.', 'That was rather difficult for me; could you simplify it?', 'I do not understand that explanation of {concept}.'],
    casual: ['uhh what', 'that went over my head', 'lost me on {concept} there'],
  },
  knowIt: {
    terse: ['Already know it.', 'Know this.', 'Done that.'],
    chatty: ['Oh I actually know {concept} pretty well already, I think we can skip it.', 'Honestly {concept} is the one thing I am good at!', 'Yeah, {concept} is fine for me, no worries there.'],
    formal: ['I am already comfortable with {concept}.', 'I believe I have mastered {concept} already.', 'That part I know well.'],
    casual: ['I know {concept} already', 'yeah {concept} is fine', 'got that one down already'],
  },
  solved: {
    terse: ['Done: {answer}.', '{answer}.', 'Solved.'],
    chatty: ['Okay, I worked through it and got {answer}. Is that right?', 'Done! I got {answer}, that was actually kind of fun.', 'Phew, {answer}. Took me a minute but I think I got it.'],
    formal: ['I obtained {answer}.', 'My solution is {answer}.', 'I have completed it: {answer}.'],
    casual: ['got {answer}', 'done, {answer}', 'ok, {answer}?'],
  },
  failed: {
    terse: ['Stuck.', '{answer}?', 'Cannot do it.'],
    chatty: ['I tried, but I got stuck halfway. I ended up with {answer}, which looks wrong.', 'Hmm, I got {answer} but I am not at all confident about it.', 'Okay I give up, this one is hard for me.'],
    formal: ['I was unable to complete it.', 'I arrived at {answer}, though I doubt it is correct.', 'I found that exercise difficult.'],
    casual: ['stuck lol', 'got {answer}? prob wrong', 'no idea how to finish that'],
  },
  bye: {
    terse: ['Thanks. Bye.', 'Bye.', 'Okay, thanks.'],
    chatty: ['Thanks so much, this was really helpful! See you next time.', 'Okay, thank you! I feel a bit better about {subject} now.', 'Great, thanks for your patience with me!'],
    formal: ['Thank you for your time.', 'Thank you, goodbye.', 'I appreciate the help. Goodbye.'],
    casual: ['thanks, bye!', 'cool, thx', 'ok cya'],
  },
  leave: {
    terse: ['I have to go.', 'Enough. Bye.', 'Leaving.'],
    chatty: ['Sorry, I really cannot concentrate anymore, I am going to stop here.', 'Okay, I think my brain is full, I am heading off.', 'I am sorry, this is not working for me today. Bye.'],
    formal: ['I am afraid I must leave now.', 'I think we should stop here. Goodbye.', 'I need to end the session now.'],
    casual: ['ugh, I am done for today', 'gotta go, bye', 'ok I am out'],
  },
  volunteerWeak: {
    terse: ['{concept} is my weak spot.', 'Never got {concept}.'],
    chatty: ['By the way, I never really understood {concept}, like at all.', 'Also, full disclosure, {concept} has always been a disaster for me.'],
    formal: ['I should mention that {concept} has always been difficult for me.', 'I have never properly understood {concept}.'],
    casual: ['btw {concept} makes zero sense to me', 'also I never got {concept}'],
  },
  volunteerStrong: {
    terse: ['{concept} is fine.', 'I know {concept}.'],
    chatty: ['Oh and {concept} is fine, I actually like that part.', 'At least {concept} I am okay with, that one I get.'],
    formal: ['I am reasonably confident with {concept}.', 'I believe {concept} is one of my strengths.'],
    casual: ['{concept} is fine tho', 'I am ok with {concept}'],
  },
  restless: {
    terse: ['Almost done?', 'Running late.'],
    chatty: ['Are we nearly done? I have got practice in a bit.', 'Sorry, I am getting a bit tired, how much longer do you think?'],
    formal: ['How much longer do you expect this to take?', 'I have another commitment shortly.'],
    casual: ['can we wrap up soon?', 'kinda tired ngl'],
  },
};

const AGENT: Record<TutoringAgentText, readonly string[]> = {
  quiz: [
    'Quick check on {concept}: can you answer this for me?',
    'Let us see where you are with {concept}. Try this question.',
    'Before we go on, a short question about {concept}.',
    'Tell me what you think about this one on {concept}.',
  ],
  explain: [
    'Let me explain {concept} {level}.',
    'Here is how {concept} works, {level}.',
    'Let us go over {concept} {level}. For example, {question} gives {answer}.',
    'I will walk you through {concept} {level}.',
  ],
  exercise: [
    'Here is a practice problem on {concept}. Take your time.',
    'Try this exercise on {concept} and tell me what you get.',
    'Your turn: work this {concept} problem out.',
    'Let us practise {concept}. Have a go at this one.',
  ],
  end: [
    'That is all for today, well done.',
    'Let us stop here. Good work today.',
    'I think that is enough for one session. See you next time.',
  ],
};

const FILLERS: Partial<Record<UserStyle, readonly string[]>> = {
  chatty: ['Oh, ', 'Hmm, ', 'Okay so, ', 'Right, ', 'Well, '],
  casual: ['um, ', 'ok ', 'hm, '],
};

/** Per-scenario template tables, built once: defaults plus the scenario's own. */
interface Tables {
  user: Record<UserStyle, Record<TutoringUserText, readonly string[]>>;
  agent: Record<TutoringAgentText, readonly string[]>;
}

const cache = new WeakMap<TutoringScenario, Tables>();
const STYLES: readonly UserStyle[] = ['terse', 'chatty', 'formal', 'casual'];

function tables(s: TutoringScenario): Tables {
  let t = cache.get(s);
  if (t) return t;
  const user = {} as Tables['user'];
  for (const style of STYLES) {
    const byKind = {} as Record<TutoringUserText, readonly string[]>;
    for (const kind of Object.keys(USER) as TutoringUserText[]) {
      const own = s.texts?.user?.[kind];
      byKind[kind] = [...(USER[kind][style] ?? []), ...(USER[kind].all ?? []), ...(own?.[style] ?? []), ...(own?.all ?? [])];
    }
    user[style] = byKind;
  }
  const agent = {} as Tables['agent'];
  for (const kind of Object.keys(AGENT) as TutoringAgentText[]) agent[kind] = [...AGENT[kind], ...(s.texts?.agent?.[kind] ?? [])];
  t = { user, agent };
  cache.set(s, t);
  return t;
}

interface Slots {
  concept?: string;
  answer?: string;
  question?: string;
  level?: string;
}

const SLOT_NAMES = new Set(['concept', 'subject', 'answer', 'question', 'level']);

/** Other `{name}`s are left as written; a known slot with no value says its name. */
function fill(s: TutoringScenario, template: string, slots: Slots): string {
  return fillSlots(template, (k) => (k === 'subject' ? s.subject : SLOT_NAMES.has(k) ? (slots[k as keyof Slots] ?? k) : `{${k}}`));
}

/** The concept's label and one of its quiz items, right or wrong answer. */
function item(s: TutoringScenario, conceptName: unknown, correct: boolean, rng: Rng): Slots {
  const c = compile(s);
  const i = typeof conceptName === 'string' ? c.conceptIndex.get(conceptName) : undefined;
  if (i === undefined) return {};
  const q = rng.pick(s.concepts[i].questions);
  return { concept: c.labels[i], question: q.q, answer: correct ? q.a : rng.pick(q.wrong) };
}

export function renderAgent(s: TutoringScenario, act: Act, rng: Rng): string {
  const kind = act.type as TutoringAgentText;
  const list = tables(s).agent[kind];
  if (!list) throw new Error(`tutoring: no text for agent act '${act.type}'`);
  const slots = item(s, act.args?.concept, true, rng);
  if (kind === 'explain') {
    const li = compile(s).levelIndex.get(String(act.args?.level));
    slots.level = li === undefined ? '' : s.levels[li].phrase;
  }
  return fill(s, rng.pick(list), slots);
}

const REACTION_TEXT: Record<string, TutoringUserText> = { 'got-it': 'gotIt', ok: 'ok', bored: 'bored', confused: 'confused', 'know-it': 'knowIt' };

/** The user's text: the main sentence in the persona's style, then anything volunteered, then impatience. */
export function renderUser(s: TutoringScenario, p: TutoringPersona, act: Act, rng: Rng): string {
  const t = tables(s).user[p.style];
  const a = act.args;
  let kind: TutoringUserText;
  let correct = true;
  switch (act.type) {
    case 'greet': kind = 'greet'; break;
    case 'answer': {
      const right = Number(a?.right ?? 0);
      kind = right >= Number(a?.of ?? 1) ? 'correct' : right === 0 ? 'wrong' : 'mixed';
      correct = kind !== 'wrong';
      break;
    }
    case 'unsure': kind = 'unsure'; break;
    case 'react': kind = REACTION_TEXT[String(a?.reaction)] ?? 'ok'; break;
    case 'exercise-result': correct = a?.correct === true; kind = correct ? 'solved' : 'failed'; break;
    case 'bye': kind = 'bye'; break;
    case 'leave': kind = 'leave'; break;
    default: throw new Error(`tutoring: no text for user act '${act.type}'`);
  }
  let text = fill(s, rng.pick(t[kind]), item(s, a?.concept, correct, rng));
  const fillers = FILLERS[p.style];
  if (fillers && kind !== 'greet' && rng.bernoulli(0.3)) text = rng.pick(fillers) + (/^I\b/.test(text) ? text : text[0].toLowerCase() + text.slice(1));
  if (typeof a?.weak === 'string') text += ' ' + fill(s, rng.pick(t.volunteerWeak), { concept: label(s, a.weak) });
  if (typeof a?.strong === 'string') text += ' ' + fill(s, rng.pick(t.volunteerStrong), { concept: label(s, a.strong) });
  if (a?.restless === true) text += ' ' + fill(s, rng.pick(t.restless), {});
  return text;
}

function label(s: TutoringScenario, name: string): string {
  const i = compile(s).conceptIndex.get(name);
  return i === undefined ? name : compile(s).labels[i];
}
