// Fails the task holding episode 20 once per worker thread, then works: a transient failure.
import { makeWorker } from '../../../environments/rollout/worker.js';
import { setFlaky, toyRuntime } from './toy.js';

setFlaky(20, 1);
export default makeWorker(toyRuntime);
