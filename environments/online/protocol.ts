import { MessagePort } from 'node:worker_threads';
import { z } from 'zod';
import type { PlayStats } from './player.js';
import type { Trajectory } from './types.js';

/**
 * The contract between a worker-backed experience source (main thread) and its Piscina workers.
 *
 * - {@link OnlineWorkerConfig} travels once per worker as `workerData`.
 * - {@link OnlineTask}: a contiguous range of the collect's requests. Central inference sends
 *   MessagePorts with it (transferred), one per tick group, over which the worker asks for logits each tick
 *   ({@link InferRequest} → {@link InferReply}); local copies send the latest model (bytes in a
 *   SharedArrayBuffer, so a task does not copy them) and broadcast newer ones on `channel`.
 * - {@link OnlineResult}: the trajectories, their arrays transferred, and the worker's timings.
 */
export const OnlineWorkerConfig = z.object({
  scenario: z.record(z.string(), z.unknown()),
  encoder: z.enum(['structured', 'text']),
  concurrency: z.int().positive(),
  mode: z.enum(['central', 'local']),
  /**
   * Central inference: tick groups per worker task, each with its own port and K / pipelines
   * episodes, so that one group steps its episodes while another waits for logits (default 1).
   */
  pipelines: z.int().positive().optional(),
  /** Local copies: the BroadcastChannel name newer models arrive on between tasks' episodes. */
  channel: z.string().optional(),
});
export type OnlineWorkerConfig = z.infer<typeof OnlineWorkerConfig>;

const Request = z.object({ seed: z.int().min(0).max(0xffffffff), actionSeed: z.int(), group: z.number().optional() });

/** A published model: its bytes live in a SharedArrayBuffer, so passing them on does not copy them. */
export const ModelMessage = z.object({ version: z.int().nonnegative(), bytes: z.custom<Uint8Array<ArrayBufferLike>>((v) => v instanceof Uint8Array, 'expected the model bytes') });
export type ModelMessage = z.infer<typeof ModelMessage>;

export const OnlineTask = z.object({
  /** Index of the first request in the collect (for messages). */
  start: z.int().nonnegative(),
  requests: z.array(Request).min(1),
  /** Central inference: one port per tick group ({@link OnlineWorkerConfig}'s `pipelines`). */
  ports: z.array(z.instanceof(MessagePort)).min(1).optional(),
  model: ModelMessage.optional(),
});
export type OnlineTask = z.infer<typeof OnlineTask>;

/** Worker → main: one tick's observations [rows * obsSize] (buffer transferred). */
export interface InferRequest {
  readonly id: number;
  readonly rows: number;
  readonly obs: Float32Array;
}

/** Main → worker: the logits of those rows (buffer transferred), or why there are none. */
export type InferReply =
  | { readonly id: number; readonly logits: Float32Array; readonly version: number }
  | { readonly id: number; readonly error: string };

export interface OnlineResult {
  readonly start: number;
  readonly trajectories: Trajectory[];
  readonly stats: PlayStats;
  /** Local copies: ms spent loading models (InferenceSession.create). */
  readonly loadMs: number;
}
