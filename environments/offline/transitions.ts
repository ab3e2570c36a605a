/**
 * Agent decisions of a dataset as flat typed arrays, one row per agent turn, ready for offline RL.
 * Row i: the observation before agent turn i, the action taken, its reward, the next observation
 * (the one before the same episode's next agent turn; zeros when `done`), and the masks of both.
 */
export interface Transitions {
  readonly count: number;
  readonly obsSize: number;
  readonly numActions: number;
  /** [count * obsSize] */
  readonly obs: Float32Array;
  /** [count] action index into the scenario's catalogue */
  readonly actions: Int32Array;
  /** [count] reward of this agent turn (the final reward is on the episode's last agent turn) */
  readonly rewards: Float32Array;
  /** [count * obsSize] */
  readonly nextObs: Float32Array;
  /** [count] 1 when the episode ended after this turn */
  readonly done: Uint8Array;
  /** [count * numActions] 1 = valid action now */
  readonly mask: Uint8Array;
  /** [count * numActions] 1 = valid action at the next observation */
  readonly nextMask: Uint8Array;
  /** [count] undiscounted return from this turn to the end of its episode */
  readonly returnToGo: Float32Array;
  /** [count] the whole episode's return (filtered BC ranks episodes by it) */
  readonly episodeReturn: Float32Array;
  /** [count] index of the episode in the dataset */
  readonly episode: Int32Array;
}
