import { makeWorker } from '../../../environments/rollout/worker.js';
import { toyRuntime } from './toy.js';

export default makeWorker(toyRuntime);
