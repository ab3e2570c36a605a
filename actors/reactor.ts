import type { ActorScope, AnyActorScope, EventObject } from 'xstate';
import type { TransitionActorLogic, TransitionSnapshot } from 'xstate';

/**
 * Actor logic for a one-state actor that only reacts: `react` updates the actor's private context in
 * place and sends its replies through `scope.defer`. It implements XState's ActorLogic interface,
 * like `fromTransition`, but reuses its snapshot instead of copying it per message: the user, agent
 * and verifier handle a few messages per turn each, and the copies (and a statechart's evaluation)
 * would cost more than a light family's whole turn. Nothing outside the actor reads the context.
 *
 * @example
 * const counter = fromReactor((c: { n: number }, _e: { type: 'inc' }) => { c.n++; }, () => ({ n: 0 }));
 */
export function fromReactor<C extends object, E extends EventObject, I>(
  react: (context: C, event: E, scope: ActorScope<TransitionSnapshot<C>, E>) => void,
  init: (input: I) => C,
): TransitionActorLogic<C, E, I> {
  return {
    config: react,
    transition: (snapshot, event, scope) => {
      // XState's own lifecycle events (`xstate.stop` when the parent stops) are not messages.
      if (!event.type.startsWith('xstate.')) react(snapshot.context, event, scope);
      return snapshot;
    },
    getInitialSnapshot: (_scope, input) => ({ status: 'active', output: undefined, error: undefined, context: init(input) }),
    getPersistedSnapshot: (snapshot) => snapshot,
    restoreSnapshot: (snapshot) => snapshot as TransitionSnapshot<C>,
  };
}

// XState's own alias: a reactor's helpers accept any actor's scope.
type AnyScope = AnyActorScope;

/** Sends `event` to the actor's parent once the current message is handled. */
export function toParent<E extends EventObject>(scope: AnyScope, event: E): void {
  scope.defer(() => scope.self._parent?.send(event));
}

/** Sends `event` to the actor registered as `systemId` once the current message is handled. */
export function toActor<E extends EventObject>(scope: AnyScope, systemId: string, event: E): void {
  scope.defer(() => scope.system.get(systemId)?.send(event));
}
