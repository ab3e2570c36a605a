import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import { deriveSeed } from '../../scenarios/random.js';
import type { EpisodeSpec, ScenarioContext } from '../../actors/episode-core.js';
import type { Policy } from '../../actors/policy.js';
import { FLAG_ERRORED, FLAG_SUCCESS, RolloutTask, WorkerConfig, episodeId, type RolloutResult } from './protocol.js';
import { defaultRuntime, type Runtime } from './runtime.js';
import { JsonLines, OrderedJsonLines } from './lines.js';

/** Builds the policy with the `createPolicy` of the module at `url` (see WorkerConfig.policyModule). */
async function policyFromModule(url: string, name: string, ctx: ScenarioContext): Promise<Policy> {
  const mod = (await import(url)) as { createPolicy?: (name: string, ctx: ScenarioContext) => Policy | Promise<Policy> };
  if (typeof mod.createPolicy !== 'function') throw new Error(`policy module ${url} does not export createPolicy(name, ctx)`);
  return mod.createPolicy(name, ctx);
}

/**
 * A Piscina task handler over a {@link Runtime}. The context and policy are built once per
 * worker (from `workerData`), then each task plays its range of episodes K at a time and
 * returns them as JSON lines (UTF-8 bytes, transferred), each encoded as it ends. An episode that throws is recorded as errored by the runtime;
 * a task that throws as a whole is retried (then recorded) by the pool.
 */
export function makeWorker(runtime: Runtime, config: unknown = workerData): (task: unknown) => Promise<unknown> {
  let state: { cfg: WorkerConfig; ctx: ScenarioContext; policy: Policy } | null = null;
  // One encoding buffer for all tasks: growing a fresh one per task churned the allocator, whose
  // fragmentation kept raising the process's RSS over long runs.
  const buffer = new JsonLines();
  const play = async (raw: unknown): Promise<unknown> => {
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
    const n = specs.length;
    const returns = new Array<number>(n).fill(0);
    const agentTurns = new Array<number>(n).fill(0);
    const flags = new Array<number>(n).fill(0);
    // Each episode is encoded as it ends and dropped: kept whole to the task's end, they outlived
    // scavenges and were promoted (teacher: 5.7 KB per episode, 0.5 this way).
    const lines = task.emit === 'lines' ? new OrderedJsonLines(n, buffer) : null;
    const seen = new Uint8Array(n);
    await runtime.run(ctx, policy, specs, {
      concurrency: cfg.concurrency,
      onEpisode: (ep) => {
        const j = ep.index - task.start;
        if (!(j >= 0 && j < n)) throw new Error(`runtime returned episode ${ep.index}, outside the task's ${task.start}..${task.start + n - 1}`);
        if (seen[j]) throw new Error(`runtime returned episode ${ep.index} twice`);
        seen[j] = 1;
        returns[j] = ep.totals.return;
        agentTurns[j] = ep.totals.agentTurns;
        flags[j] = (ep.outcome.success ? FLAG_SUCCESS : 0) | (ep.outcome.reason === 'error' ? FLAG_ERRORED : 0);
        lines?.put(j, ep);
      },
    });
    const missing = seen.indexOf(0);
    if (missing >= 0) throw new Error(`runtime did not return episode ${task.start + missing} of the task's ${task.start}..${task.start + n - 1}`);
    const bytes = lines ? lines.bytes(task.buffer) : new Uint8Array(0);
    const result: RolloutResult = { start: task.start, count: task.count, bytes, returns, agentTurns, flags, ms: performance.now() - t0 };
    // Transfer the bytes instead of copying them (and keep big strings out of the main thread's heap).
    return move({ [transferableSymbol]: [bytes.buffer], [valueSymbol]: result });
  };
  // The pool gives a worker its next task before this one ends; tasks run one after the other,
  // so each is played K episodes at a time exactly as if it came alone.
  let last: Promise<unknown> = Promise.resolve();
  return (raw: unknown): Promise<unknown> => {
    const next = last.then(() => play(raw));
    last = next.catch(() => undefined);
    return next;
  };
}

export default makeWorker(defaultRuntime);
