import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import { deriveSeed } from '../../scenarios/random.js';
import type { EpisodeSpec, ScenarioContext } from '../../actors/episode-core.js';
import type { Policy } from '../../actors/policy.js';
import { FLAG_ERRORED, FLAG_SUCCESS, RolloutTask, WorkerConfig, episodeId, type RolloutResult } from './protocol.js';
import { defaultRuntime, type Runtime } from './runtime.js';
import { JsonLines } from './lines.js';

/** Builds the policy with the `createPolicy` of the module at `url` (see WorkerConfig.policyModule). */
async function policyFromModule(url: string, name: string, ctx: ScenarioContext): Promise<Policy> {
  const mod = (await import(url)) as { createPolicy?: (name: string, ctx: ScenarioContext) => Policy | Promise<Policy> };
  if (typeof mod.createPolicy !== 'function') throw new Error(`policy module ${url} does not export createPolicy(name, ctx)`);
  return mod.createPolicy(name, ctx);
}

/**
 * A Piscina task handler over a {@link Runtime}. The context and policy are built once per
 * worker (from `workerData`), then each task plays its range of episodes K at a time and
 * returns them as JSON lines (UTF-8 bytes, transferred). An episode that throws is recorded as errored by the runtime;
 * a task that throws as a whole is retried (then recorded) by the pool.
 */
export function makeWorker(runtime: Runtime, config: unknown = workerData): (task: unknown) => Promise<unknown> {
  let state: { cfg: WorkerConfig; ctx: ScenarioContext; policy: Policy } | null = null;
  return async (raw: unknown): Promise<unknown> => {
    const t0 = performance.now();
    if (!state) {
      const cfg = WorkerConfig.parse(config);
      const ctx = runtime.context(cfg.scenario);
      state = { cfg, ctx, policy: cfg.policyModule ? await policyFromModule(cfg.policyModule, cfg.policy, ctx) : runtime.policy(cfg.policy, ctx) };
    }
    const { cfg, ctx, policy } = state;
    const task = RolloutTask.parse(raw);
    const specs: EpisodeSpec[] = [];
    for (let i = task.start; i < task.start + task.count; i++) {
      specs.push({ index: i, seed: deriveSeed(task.runSeed, i), id: episodeId(ctx.scenario.id, task.runSeed, i) });
    }
    const episodes = await runtime.run(ctx, policy, specs, { concurrency: cfg.concurrency });
    if (episodes.length !== specs.length) throw new Error(`runtime returned ${episodes.length} episodes for ${specs.length}`);
    const returns: number[] = [];
    const agentTurns: number[] = [];
    const flags: number[] = [];
    const lines = new JsonLines();
    for (let j = 0; j < episodes.length; j++) {
      const ep = episodes[j];
      if (ep.index !== specs[j].index) throw new Error(`runtime returned episode ${ep.index} where ${specs[j].index} was expected`);
      returns.push(ep.totals.return);
      agentTurns.push(ep.totals.agentTurns);
      flags.push((ep.outcome.success ? FLAG_SUCCESS : 0) | (ep.outcome.reason === 'error' ? FLAG_ERRORED : 0));
      if (task.emit === 'lines') lines.push(ep);
    }
    const bytes = lines.bytes();
    const result: RolloutResult = { start: task.start, count: task.count, bytes, returns, agentTurns, flags, ms: performance.now() - t0 };
    // Transfer the bytes instead of copying them (and keep big strings out of the main thread's heap).
    return move({ [transferableSymbol]: [bytes.buffer], [valueSymbol]: result });
  };
}

export default makeWorker(defaultRuntime);
