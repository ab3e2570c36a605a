export type { Act, ArgValue, Speaker, EndReason, VisibleTurn, Observation } from './acts.js';
export { END_REASONS } from './acts.js';
export type { Family, AnyFamily } from './family.js';
export type { Policy, Decision } from './policy.js';
export { EpisodeSchema, TurnSchema, ActSchema } from './episode.js';
export type { Episode, Turn } from './episode.js';
export { episodeStreams, observe, checkAction, episodeRecord, erroredEpisode, visible } from './episode-core.js';
export type { EpisodeSpec, ScenarioContext, EpisodeStreams } from './episode-core.js';
export { runEpisodePlain, addFinalReward } from './plain.js';
export { FAMILIES, familyOf } from './families/index.js';
export { makeContext } from './context.js';
export { runEpisodes } from './run.js';
export type { RunOptions } from './run.js';
export { Batcher } from './batcher.js';
export type { BatchStats } from './batcher.js';
export { conversation } from './conversation.js';
export type { ConversationInput, EpisodeSource, Play } from './conversation.js';
export { imaginedUser } from './user.js';
export type { UserInput } from './user.js';
export { agent } from './agent.js';
export type { AgentInput, DecisionReply, DecisionSource } from './agent.js';
export { verifier } from './verifier.js';
export type { VerifierInput } from './verifier.js';
export type { UserEvent, AgentEvent, VerifierEvent, ConversationEvent, Privileged, Transcript } from './events.js';
export {
  policyByName, POLICY_NAMES, randomPolicy, randomDecision, heuristicPolicy, oraclePolicy, epsilonHeuristicPolicy, mixturePolicy,
} from './policies/index.js';
export type { MixtureComponent } from './policies/index.js';
export {
  ReasoningEpisodeSchema, makeReasoningContext, reasoningSpecs, runReasoningEpisodes, scriptedReasoner, reasoningPolicyByName, toPromptCompletion,
} from './reasoning/index.js';
export type { ReasoningEpisode, ReasoningContext, ReasoningSpec, ReasoningPolicy, WriteRequest, Written } from './reasoning/index.js';
