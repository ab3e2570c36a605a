import { z } from 'zod';
import { OfflineBaseConfig } from './offline.config.js';

/**
 * Filtered behaviour cloning ("%BC"): imitate only the episodes whose return is in the top
 * `fraction` of the dataset; otherwise the same network and loss as BC.
 */
export const FilteredBcConfig = z.strictObject({
  fraction: z.number().gt(0).max(1).default(0.1).describe('share of episodes kept, best returns first (default 0.1)'),
  ...OfflineBaseConfig,
});
export type FilteredBcConfig = z.infer<typeof FilteredBcConfig>;
