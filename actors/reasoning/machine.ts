import { assign, fromCallback, setup } from 'xstate';
import type { Rng } from '../../scenarios/random.js';
import type { Graded, ReasoningProblem } from '../../scenarios/reasoning/index.js';
import type { ReasoningContext, ReasoningSpec, ReasoningStop } from './context.js';
import { reasoningRecord } from './context.js';
import type { ReasoningEpisode } from './episode.js';
import type { WriteRequest, Written } from './policy.js';

/** Where an episode's write requests go (the run's batcher); the reply comes once per request. */
export interface WriteSource {
  request(req: WriteRequest, reply: (r: { written: Written; rng: Rng } | { error: unknown }) => void): void;
}

export interface ReasoningEpisodeInput {
  readonly ctx: ReasoningContext;
  readonly spec: ReasoningSpec;
  readonly problem: ReasoningProblem;
  /** The episode's policy stream at its start. */
  readonly rng: Rng;
  readonly policyName: string;
  readonly writes: WriteSource;
}

type EpisodeEvent =
  | { type: 'wrote'; written: Written; rng: Rng }
  | { type: 'failed'; error: unknown }
  | { type: 'verdict'; graded: Graded };

interface EpisodeContext {
  readonly input: ReasoningEpisodeInput;
  /** The policy stream, as the last reply left it. */
  rng: Rng;
  completion: number[];
  logProbs: number[] | null;
  stop: ReasoningStop;
  graded: Graded | null;
  error: unknown;
}

/**
 * The verifier actor: grades the finished completion with the scenario's verifier and format
 * check (`task.grade`: segments, answer span, correctness, score) and reports `verdict`.
 */
export const reasoningVerifier = fromCallback<EpisodeEvent, { ctx: ReasoningContext; problem: ReasoningProblem; completion: readonly number[] }>(({ input, sendBack }) => {
  try {
    sendBack({ type: 'verdict', graded: input.ctx.task.grade(input.problem, input.completion) });
  } catch (error) {
    sendBack({ type: 'failed', error });
  }
});

/** Checks a policy's answer to one request: at least one token, in the vocabulary, log-probs one per token. */
function checkWritten(w: Written, vocab: number, budget: number): string | null {
  if (!w || !Array.isArray(w.tokens) || w.tokens.length === 0) return 'the policy wrote no token';
  if (w.tokens.length > budget) return `the policy wrote ${w.tokens.length} tokens with ${budget} left`;
  const bad = w.tokens.findIndex((t) => !(Number.isInteger(t) && t >= 0 && t < vocab));
  if (bad >= 0) return `the policy wrote id ${String(w.tokens[bad])}, outside the vocabulary (0..${vocab - 1})`;
  if (w.logProbs && w.logProbs.length !== w.tokens.length) return `the policy gave ${w.logProbs.length} log-probs for ${w.tokens.length} tokens`;
  return null;
}

/**
 * One reasoning episode: the policy writes (one batched request per tick, as many ticks as it
 * takes to reach `<eos>`, the scenario's `maxTokens` or the policy's own end), then the verifier
 * actor grades the completion; the final state's output is the {@link ReasoningEpisode} record.
 * A failing policy or verifier ends the episode as errored, keeping what was written.
 *
 * writing ⟲ wrote ─(eos | budget spent | end)─▶ judging ─verdict─▶ done
 *    └──── failed ───────────────────────────────────┴──────────▶ errored
 */
export const reasoningEpisode = setup({
  types: {
    context: {} as EpisodeContext,
    events: {} as EpisodeEvent,
    input: {} as ReasoningEpisodeInput,
    output: {} as ReasoningEpisode,
  },
  actors: { verifier: reasoningVerifier },
  guards: {
    invalid: ({ context, event }) => event.type === 'wrote' && checkWritten(event.written, context.input.ctx.task.tokenizer.size, budgetOf(context)) !== null,
    finished: ({ context, event }) => {
      if (event.type !== 'wrote') return false;
      const w = event.written;
      return w.end === true || w.tokens.includes(context.input.ctx.task.tokenizer.eos) || context.completion.length + w.tokens.length >= context.input.ctx.scenario.maxTokens;
    },
  },
  actions: {
    append: assign(({ context, event }) => {
      if (event.type !== 'wrote') return {};
      const w = event.written;
      const eos = w.tokens.indexOf(context.input.ctx.task.tokenizer.eos);
      const keep = eos >= 0 ? eos + 1 : w.tokens.length; // nothing after <eos> counts
      const logProbs = context.logProbs === null && context.completion.length > 0 ? null : w.logProbs ? [...(context.logProbs ?? []), ...w.logProbs.slice(0, keep)] : null;
      return { rng: event.rng, completion: [...context.completion, ...w.tokens.slice(0, keep)], logProbs, stop: eos >= 0 ? 'eos' : 'length' };
    }),
  },
}).createMachine({
  id: 'reasoningEpisode',
  context: ({ input }) => ({ input, rng: input.rng, completion: [], logProbs: null, stop: 'length', graded: null, error: undefined }),
  initial: 'writing',
  states: {
    writing: {
      entry: ({ context, self }) => {
        const { input } = context;
        const request = { problem: input.problem, written: context.completion, budget: budgetOf(context), seed: input.spec.seed, rng: context.rng };
        input.writes.request(request, (r) => self.send('written' in r ? { type: 'wrote', written: r.written, rng: r.rng } : { type: 'failed', error: r.error }));
      },
      on: {
        wrote: [
          { guard: 'invalid', target: 'errored', actions: assign(({ context, event }) => ({ error: new Error(checkWritten(event.written, context.input.ctx.task.tokenizer.size, budgetOf(context)) ?? '') })) },
          { guard: 'finished', target: 'judging', actions: 'append' },
          { target: 'writing', reenter: true, actions: 'append' },
        ],
        failed: { target: 'errored', actions: assign({ error: ({ event }) => event.error }) },
      },
    },
    judging: {
      invoke: { src: 'verifier', input: ({ context }) => ({ ctx: context.input.ctx, problem: context.input.problem, completion: context.completion }) },
      on: {
        verdict: { target: 'done', actions: assign({ graded: ({ event }) => event.graded }) },
        failed: { target: 'errored', actions: assign({ error: ({ event }) => event.error }) },
      },
    },
    done: { type: 'final' },
    errored: { type: 'final' },
  },
  output: ({ context: c }) => {
    const i = c.input;
    return reasoningRecord(i.ctx, i.spec, i.policyName, i.problem, c.completion, c.logProbs, c.stop, c.graded, c.error);
  },
});

function budgetOf(c: EpisodeContext): number {
  return c.input.ctx.scenario.maxTokens - c.completion.length;
}
