import { z } from 'zod';
import { OfflineBaseConfig } from './offline.config.js';

/**
 * Behaviour cloning: imitate every action of the dataset (masked softmax cross-entropy over the
 * valid actions). Defaults suit the built-in scenarios on a laptop CPU.
 */
export const BcConfig = z.strictObject(OfflineBaseConfig);
export type BcConfig = z.infer<typeof BcConfig>;
