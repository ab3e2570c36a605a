import type { Shaper } from '../reasoning/grpo.js';
import { mrtShaper } from './mrt.js';
import { rlspShaper } from './rlsp.js';

/** The reward methods that plug into the token-level GRPO (`train --algo grpo --method NAME`). */
export const SHAPING_METHODS = ['rlsp', 'mrt'] as const;
export type ShapingMethod = (typeof SHAPING_METHODS)[number];

/** The shaper of `method` with `config` (the method's zod config fields; a ZodError names the bad ones). */
export function shaperFor(method: ShapingMethod, config: Record<string, unknown> = {}): Shaper {
  return method === 'rlsp' ? rlspShaper(config) : mrtShaper(config);
}

export { rlspShaper, RlspConfig } from './rlsp.js';
export { mrtShaper, MrtConfig } from './mrt.js';
export { runAmft, AmftConfig } from './amft.js';
