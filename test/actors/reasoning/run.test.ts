import test from 'ava';
import { EpisodeSchema } from '../../../actors/episode.js';
import {
  ReasoningEpisodeSchema, makeReasoningContext, reasoningSpecs, runReasoningEpisodes, scriptedReasoner, tokenByTokenReasoner, toPromptCompletion,
} from '../../../actors/reasoning/index.js';
import type { ReasoningEpisode, ReasoningPolicy, WriteStats, Written } from '../../../actors/reasoning/index.js';
import { loadReasoningScenario, parseCompletion, reasoningBuiltinIds } from '../../../scenarios/reasoning/index.js';

const ctx = makeReasoningContext(loadReasoningScenario('addition'));
const levels = Array.from({ length: ctx.task.levels }, (_, i) => ({ level: i + 1, weight: 1 }));
const bytes = (eps: readonly ReasoningEpisode[]) => eps.map((e) => JSON.stringify(e));

test('a record round-trips through JSON and the schema, and is a valid dialogue Episode too', async (t) => {
  const eps = await runReasoningEpisodes(ctx, scriptedReasoner(ctx.task), reasoningSpecs(ctx, 3, 0, 20, levels), { concurrency: 4 });
  for (const ep of eps) {
    const back = ReasoningEpisodeSchema.parse(JSON.parse(JSON.stringify(ep)));
    t.deepEqual(back, ep);
    t.true(EpisodeSchema.safeParse(ep).success);
  }
  t.true(eps.some((e) => e.segments.length > 3), 'some episodes have several reasoning segments');
});

test('token ids, loss mask and text line up: prompt tokens 0, completion tokens 1', async (t) => {
  const eps = await runReasoningEpisodes(ctx, scriptedReasoner(ctx.task), reasoningSpecs(ctx, 4, 0, 30, levels));
  const tok = ctx.task.tokenizer;
  for (const ep of eps) {
    t.is(ep.mask.length, ep.tokens.length);
    t.is(ep.mask.indexOf(1), ep.promptLength);
    t.true(ep.mask.slice(0, ep.promptLength).every((m) => m === 0));
    t.true(ep.mask.slice(ep.promptLength).every((m) => m === 1));
    t.is(tok.decode(ep.tokens.slice(0, ep.promptLength)), ep.prompt);
    t.is(tok.decode(ep.tokens.slice(ep.promptLength)), ep.completion);
    t.is(ep.tokens[ep.tokens.length - 1], tok.eos);
    t.is(ep.length, ep.tokens.length - ep.promptLength);
    t.is(ep.logProbs, null, 'the scripted reasoner has no log-probs');
    const pc = toPromptCompletion(ep);
    t.is(pc.messages[0].content, ep.prompt);
    t.is(pc.messages[1].content, ep.completion);
  }
});

test('segments and the answer span are the format parser\'s', async (t) => {
  const eps = await runReasoningEpisodes(ctx, scriptedReasoner(ctx.task), reasoningSpecs(ctx, 5, 0, 40, levels));
  for (const ep of eps) {
    const completion = ep.tokens.slice(ep.promptLength);
    const parsed = parseCompletion(completion, ctx.task.tokenizer);
    t.deepEqual(ep.segments, parsed.segments.map((s) => ({ start: s.start, end: s.end })));
    t.deepEqual(ep.answerSpan, parsed.answer && { start: parsed.answer.start, end: parsed.answer.end });
    t.is(ep.answer, ctx.task.tokenizer.decode(completion.slice(parsed.answer!.start, parsed.answer!.end)));
    for (const s of ep.segments) t.false(completion.slice(s.start, s.end).includes(ctx.task.tokenizer.sep));
  }
});

test('every scripted episode at mistake rate 0 verifies, at every level of every built-in task', async (t) => {
  for (const id of reasoningBuiltinIds()) {
    const c = makeReasoningContext(loadReasoningScenario(id));
    for (let level = 1; level <= c.task.levels; level++) {
      const eps = await runReasoningEpisodes(c, scriptedReasoner(c.task, { mistakeRate: 0 }), reasoningSpecs(c, 11, 0, 12, [{ level, weight: 1 }]), { concurrency: 6 });
      for (const ep of eps) {
        t.true(ep.correct && ep.formatOk && ep.score === 1 && ep.outcome.success, `${id} level ${level} ${ep.id}: ${ep.reason ?? ''}`);
        t.is(ep.level, level);
      }
    }
  }
});

test('episodes are a pure function of (scenario, policy, seed): same bytes at every concurrency, whole or token by token', async (t) => {
  const specs = reasoningSpecs(ctx, 9, 0, 40, levels);
  const policy = scriptedReasoner(ctx.task);
  const one = await runReasoningEpisodes(ctx, policy, specs, { concurrency: 1 });
  for (const k of [3, 16, 64]) t.deepEqual(bytes(await runReasoningEpisodes(ctx, policy, specs, { concurrency: k })), bytes(one), `concurrency ${k}`);
  const stats: WriteStats = { calls: 0, requests: 0, maxBatch: 0, retries: 0 };
  const byToken = await runReasoningEpisodes(ctx, tokenByTokenReasoner(ctx.task), specs, { concurrency: 8, stats });
  t.deepEqual(bytes(byToken.map((e) => ({ ...e, policy: 'reasoner' }))), bytes(one));
  const tokens = one.reduce((n, e) => n + e.length, 0);
  t.is(stats.requests, tokens, 'one request per token');
  t.is(stats.maxBatch, 8, 'the live episodes\' tokens share a call');
  t.true(stats.calls < tokens / 4, `${stats.calls} calls for ${tokens} tokens`);
  // the problems do not depend on the policy
  t.deepEqual(one.map((e) => e.prompt), (await runReasoningEpisodes(ctx, scriptedReasoner(ctx.task, { mistakeRate: 0.5 }), specs)).map((e) => e.prompt));
});

test('log-probs are recorded per policy token; a failing or invalid policy errors only its own episode', async (t) => {
  const base = scriptedReasoner(ctx.task, { mistakeRate: 0 });
  const specs = reasoningSpecs(ctx, 2, 0, 12, [{ level: 1, weight: 1 }]);
  const withLogProbs: ReasoningPolicy = {
    name: 'lp',
    write: async (reqs) => (await base.write(reqs)).map((w) => ({ tokens: w.tokens, logProbs: w.tokens.map((_, i) => -i / 10) })),
  };
  for (const ep of await runReasoningEpisodes(ctx, withLogProbs, specs)) {
    t.is(ep.logProbs?.length, ep.length);
    t.is(ep.logProbs?.[3], -0.3);
  }
  const faulty: ReasoningPolicy = {
    name: 'faulty',
    write: (reqs) => {
      if (reqs.some((r) => r.seed === specs[3].seed)) throw new Error('boom');
      return reqs.map((r) => (r.seed === specs[5].seed ? { tokens: [999] } : (base.write([r]) as readonly Written[])[0]));
    },
  };
  const eps = await runReasoningEpisodes(ctx, faulty, specs, { concurrency: 12 });
  t.is(eps[3].outcome.reason, 'error');
  t.is(eps[3].outcome.error, 'boom');
  t.is(eps[5].stop, 'error');
  t.regex(eps[5].reason ?? '', /outside the vocabulary/);
  t.true(eps.filter((_, i) => i !== 3 && i !== 5).every((e) => e.correct));
  t.true(ReasoningEpisodeSchema.safeParse(eps[3]).success);
});

test('the token budget (maxTokens) stops a policy that never writes <eos>', async (t) => {
  const babbler: ReasoningPolicy = { name: 'babble', write: (reqs) => reqs.map((r) => ({ tokens: Array.from({ length: Math.min(7, r.budget) }, () => ctx.task.tokenizer.sep) })) };
  const [ep] = await runReasoningEpisodes(ctx, babbler, reasoningSpecs(ctx, 1, 0, 1));
  t.is(ep.length, ctx.scenario.maxTokens);
  t.is(ep.stop, 'length');
  t.false(ep.formatOk);
  t.false(ep.correct);
});
