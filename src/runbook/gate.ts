import { AzirError, toAzirError } from "../core/errors.js";
import { describeEffect, type Effect, type EffectDescription, type EffectOutcome, type EffectPerformer, type SecretSink } from "../core/effects.js";
import type { Endpoints } from "../core/ports.js";
import { events } from "./events.js";
import type { JournalSink } from "./execute.js";

/** A write waiting for the responder's yes, with the step it belongs to. */
export interface PendingWrite {
  step: string;
  request: EffectDescription;
  url: string;
}

/** Asks the responder to allow these writes; resolves false to refuse. May throw (no terminal to ask on). */
export type Confirmer = (writes: PendingWrite[]) => Promise<boolean>;

export interface GateOptions {
  /** Record every effect as planned and perform none (dry run). Decided by the composition root, nowhere else. */
  record: boolean;
  performer: EffectPerformer;
  endpoints: Pick<Endpoints, "graph" | "arm">;
  journal: JournalSink;
  /** Where secret answers go; without one they are dropped, never journaled. */
  secrets?: SecretSink;
  /** The run's interrupt: it cancels effects marked `abortable` (a disk copy), never a short write or a clean-up. */
  signal?: AbortSignal;
}

/** Where an action's writes stand among the run's: what they follow, and who to tell once they are handed over. */
export interface WriteOrder {
  after?: ReadonlyArray<Promise<unknown>>;
  submitted?: (tickets: ReadonlyArray<Promise<unknown>>) => void;
}

/** What became of the effects handed to the gate: recorded as planned (dry run), or performed with these outcomes. */
export type GateResult = { recorded: true } | { recorded: false; outcomes: EffectOutcome[] };


/**
 * THE write gate: the only place an effect leaves azir. It asks (confirmation), records (dry run) or performs,
 * journals every effect with its result, runs declared clean-up effects in every outcome, and hands secret answers
 * to the secret sink instead of the journal.
 */
export class WriteGate {
  /** Steps whose writes the responder already allowed in the one confirmation before the first write. */
  private readonly confirmed = new Set<string>();
  private refusedWith: { count: number; reason?: AzirError } | undefined;
  /** Effects performed successfully, and recorded as planned. */
  readonly counts = { sent: 0, planned: 0 };

  constructor(private readonly o: GateOptions) {}

  get records(): boolean {
    return this.o.record;
  }

  /** True once the responder refused: nothing more is sent in this run. */
  get refused(): boolean {
    return this.refusedWith !== undefined;
  }

  /** Why the writes were refused, when it was not a plain "no". */
  get refusal(): AzirError | undefined {
    return this.refusedWith?.reason;
  }

  pending(step: string, effects: readonly Effect[]): PendingWrite[] {
    return effects.map((e) => {
      const request = describeEffect(e, this.o.endpoints);
      return { step, request, url: request.url };
    });
  }

  isConfirmed(step: string): boolean {
    return this.confirmed.has(step);
  }

  /** Asks once for these writes; a confirmer that cannot ask (no terminal) refuses with its reason. */
  async ask(writes: PendingWrite[], confirmer: Confirmer | undefined): Promise<boolean> {
    let yes = false;
    let reason: AzirError | undefined;
    try {
      yes = confirmer ? await confirmer(writes) : false;
    } catch (error) {
      reason = toAzirError(error);
    }
    if (yes) {
      for (const w of writes) this.confirmed.add(w.step);
      return true;
    }
    this.refusedWith = { count: writes.length, ...(reason ? { reason } : {}) };
    this.o.journal.append(events.refused(writes.length));
    return false;
  }

  /**
   * Records or performs an action's effects, phase by phase (a phase's effects follow the phase before; within a
   * phase they are independent). Every effect of every phase is tried: the action's `interpret` judges the outcomes.
   * `order.after`: pending results of earlier writes these must follow; `order.submitted` is told this action's own,
   * as soon as they are handed to the performer, so that the next action's writes can follow them (in one Graph
   * batch, with `dependsOn`) without waiting here. Clean-up effects of the effects tried run afterwards, whatever
   * happened, and their outcomes come last.
   */
  async apply(step: string, action: string, effects: readonly Effect[], order: WriteOrder = {}): Promise<GateResult> {
    if (this.o.record) {
      for (const e of [...effects, ...effects.flatMap((x) => x.cleanup ?? [])]) {
        this.counts.planned++;
        this.o.journal.append(events.actionPlanned(step, action, describeEffect(e, this.o.endpoints)));
      }
      return { recorded: true };
    }
    const phases = [...new Set(effects.map((e) => e.phase ?? 0))].sort((a, b) => a - b);
    const all: Array<Promise<EffectOutcome>> = [];
    const tickets: Array<Promise<unknown>> = [];
    const byKey = new Map<string, Promise<EffectOutcome>>();
    const tried: Effect[] = [];
    let after = order.after ?? [];
    for (const phase of phases) {
      const started: Array<{ ticket: Promise<unknown>; outcome: Promise<EffectOutcome> }> = [];
      for (const e of effects.filter((x) => (x.phase ?? 0) === phase)) {
        // An effect that needs another's success waits for its outcome, and is not sent when it failed.
        if (e.requires?.length) {
          const before = await Promise.all(e.requires.flatMap((k) => byKey.get(k) ?? []));
          const failed = before.filter((o) => !o.ok).map((o) => o.effect.key);
          if (failed.length > 0) {
            const notSent = this.notSent(step, action, e, failed);
            all.push(Promise.resolve(notSent));
            byKey.set(e.key, Promise.resolve(notSent));
            continue;
          }
        }
        const s = this.start(step, action, e, after);
        tried.push(e);
        byKey.set(e.key, s.outcome);
        started.push(s);
      }
      all.push(...started.map((x) => x.outcome));
      tickets.push(...started.map((x) => x.ticket));
      after = started.length ? started.map((x) => x.ticket) : after;
    }
    order.submitted?.(tickets);
    const outcomes: EffectOutcome[] = [];
    try {
      outcomes.push(...(await Promise.all(all)));
    } finally {
      // Clean-up (revoking a SAS, say) runs for the effects tried, even when the action failed or the run was
      // interrupted; its outcomes follow the others, so that the action can say a clean-up failed.
      outcomes.push(...(await Promise.all(tried.flatMap((e) => e.cleanup ?? []).map((cleanup) => this.start(step, action, cleanup, []).outcome))));
    }
    return { recorded: false, outcomes };
  }

  /** An effect whose prerequisite failed: journaled as not sent, never tried. */
  private notSent(step: string, action: string, effect: Effect, failed: string[]): EffectOutcome {
    const error = new AzirError("runbook-failed", `not sent: it waits on ${failed.join(", ")}, which failed`);
    this.o.journal.append(events.actionFailed(step, action, describeEffect(effect, this.o.endpoints), error));
    return { effect, ok: false, error };
  }

  /** Hands one effect to the performer: its pending result (what later writes follow) and its journaled outcome. */
  private start(step: string, action: string, effect: Effect, after: ReadonlyArray<Promise<unknown>>): { ticket: Promise<unknown>; outcome: Promise<EffectOutcome> } {
    const description = describeEffect(effect, this.o.endpoints);
    const ticket = this.o.performer.perform(effect, effect.abortable ? this.o.signal : undefined, after);
    const outcome = ticket.then(
      async (value): Promise<EffectOutcome> => {
        this.counts.sent++;
        if (effect.secretResult) {
          // Journaled once the secret reached the responder, with its key id (never the secret): a later run of the
          // incident tells a secret azir issued and handed over from one whose answer was lost (issuedSecrets).
          const delivered = (await this.o.secrets?.receive(description, value)) === true;
          const keyId = value !== null && typeof value === "object" ? (value as { keyId?: unknown }).keyId : undefined;
          this.o.journal.append(events.actionPerformed(step, action, description, delivered && typeof keyId === "string" ? { secretDelivered: keyId } : {}));
          return { effect, ok: true, value: { secret: true } };
        }
        this.o.journal.append(events.actionPerformed(step, action, description));
        return { effect, ok: true, value };
      },
      (error: unknown): EffectOutcome => {
        const e = toAzirError(error);
        this.o.journal.append(events.actionFailed(step, action, description, e));
        return { effect, ok: false, error: e };
      },
    );
    return { ticket, outcome };
  }
}
