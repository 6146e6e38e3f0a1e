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
   * Records or performs an action's effects, phase by phase (one phase concurrently). Every effect of every phase
   * is tried: the action's `interpret` judges the outcomes. Clean-up effects of the effects tried run afterwards,
   * whatever happened, and their outcomes come last.
   */
  async apply(step: string, action: string, effects: readonly Effect[]): Promise<GateResult> {
    if (this.o.record) {
      for (const e of [...effects, ...effects.flatMap((x) => x.cleanup ?? [])]) {
        this.counts.planned++;
        this.o.journal.append(events.actionPlanned(step, action, describeEffect(e, this.o.endpoints)));
      }
      return { recorded: true };
    }
    const outcomes: EffectOutcome[] = [];
    const tried: Effect[] = [];
    try {
      const phases = [...new Set(effects.map((e) => e.phase ?? 0))].sort((a, b) => a - b);
      for (const phase of phases) {
        const batch = effects.filter((e) => (e.phase ?? 0) === phase);
        const failed = new Set(outcomes.filter((o) => !o.ok).map((o) => o.effect.key));
        const blocked = batch.filter((e) => (e.requires ?? []).some((k) => failed.has(k)));
        for (const e of blocked) outcomes.push(this.notSent(step, action, e, (e.requires ?? []).filter((k) => failed.has(k))));
        const ready = batch.filter((e) => !blocked.includes(e));
        tried.push(...ready);
        outcomes.push(...(await Promise.all(ready.map((e) => this.perform(step, action, e)))));
      }
    } finally {
      // Clean-up (revoking a SAS, say) runs even when the action failed or the run was interrupted; its outcomes
      // follow the others, so that the action can say a clean-up failed.
      outcomes.push(...(await Promise.all(tried.flatMap((e) => e.cleanup ?? []).map((cleanup) => this.perform(step, action, cleanup)))));
    }
    return { recorded: false, outcomes };
  }

  /** An effect whose prerequisite failed: journaled as not sent, never tried. */
  private notSent(step: string, action: string, effect: Effect, failed: string[]): EffectOutcome {
    const error = new AzirError("runbook-failed", `not sent: it waits on ${failed.join(", ")}, which failed`);
    this.o.journal.append(events.actionFailed(step, action, describeEffect(effect, this.o.endpoints), error));
    return { effect, ok: false, error };
  }

  private async perform(step: string, action: string, effect: Effect): Promise<EffectOutcome> {
    const description = describeEffect(effect, this.o.endpoints);
    try {
      const value = await this.o.performer.perform(effect, effect.abortable ? this.o.signal : undefined);
      this.counts.sent++;
      this.o.journal.append(events.actionPerformed(step, action, description));
      if (effect.secretResult) {
        await this.o.secrets?.receive(description, value);
        return { effect, ok: true, value: { secret: true } };
      }
      return { effect, ok: true, value };
    } catch (error) {
      const e = toAzirError(error);
      this.o.journal.append(events.actionFailed(step, action, description, e));
      return { effect, ok: false, error: e };
    }
  }
}
