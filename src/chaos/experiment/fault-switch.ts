/**
 * The experiment's faults and the chaos controllers they obey: switching the faults on
 * and off (a fault that refuses to go off is stopped by its controller's kill switch),
 * the controllers' status, injections per fault, and time to detect (which counts only
 * while the faults are on).
 *
 * @packageDocumentation
 */
import { chaos } from '../guards';
import type { ChaosGate, ExperimentFault } from './experiment-options';
import { describeError } from './user-callbacks';
import { round } from './window-stats';
import { reportInternalError } from '../../core/report';

/** The faults of one experiment, and when they went on and off (ms since the start). */
export class FaultSwitch {
  /** When the faults went on (`null`: never). */
  onAt: number | null = null;
  /** When they went off after being on (`null`: not yet, or never on). */
  offAt: number | null = null;
  /** The controllers that must stay active: the experiment's, or each fault's (the global `chaos` by default). */
  readonly gates: readonly ChaosGate[];
  private readonly startInjections: readonly number[];

  constructor(
    private readonly faults: readonly ExperimentFault[],
    private readonly controller: ChaosGate | undefined,
    private readonly experiment: string,
    /** `fleet: true`: the faults are switched on every instance of the controllers' fleet. */
    private readonly fleet = false,
  ) {
    const gates = new Set<ChaosGate>();
    if (controller !== undefined) gates.add(controller);
    else for (const f of faults) gates.add(f.controller ?? chaos);
    this.gates = [...gates];
    this.startInjections = faults.map((f) => f.injections);
  }

  /** The status of the first controller that is not active (or, with `fleet`, in no fleet), or `undefined` when all are. */
  inactive(): { readonly reason: string | undefined } | undefined {
    for (const gate of this.gates) {
      const status = gate.status();
      if (!status.active) return status;
      if (this.fleet && (status.fleet !== true || typeof gate.switchFleetFaults !== 'function')) {
        return { reason: 'fleet: true, but the controller is in no fleet (arm it with a coordinator)' };
      }
    }
    return undefined;
  }

  /** Before the baseline: every fault off (a fault starts switched on unless built with `enabled: false`), on every instance with `fleet`. Throws what a fault throws. */
  reset(): void {
    for (const f of this.faults) f.disable();
    this.tellFleet(false, 0);
  }

  /**
   * Switches every fault on, the first time only; with `fleet`, on every instance for at
   * most `lease` ms. Throws what a fault throws, or when the fleet cannot be told.
   */
  on(at: number, lease = 0): void {
    if (this.onAt !== null) return;
    this.onAt = at;
    for (const f of this.faults) f.enable();
    const missed = this.tellFleet(true, lease);
    if (missed !== undefined) throw new Error(missed);
  }

  /** Switches every fault off, once, if they went on; a fault that refuses is stopped by its controller's kill switch. Returns the first problem. */
  off(at: number): string | undefined {
    if (this.onAt === null || this.offAt !== null) return undefined;
    this.offAt = at;
    let problem: string | undefined;
    for (const f of this.faults) {
      try {
        f.disable();
      } catch (error) {
        problem ??= `could not switch fault "${f.name}" off (${describeError(error)}); its controller was halted`;
        try {
          (f.controller ?? this.controller ?? chaos).halt(`experiment "${this.experiment}" could not disable fault "${f.name}"`);
        } catch {
          // nothing more we can do: reported in the verdict
        }
      }
    }
    const missed = this.tellFleet(false, 0);
    return problem ?? (missed === undefined ? undefined : `${missed}; they go off by themselves when their lease ends`);
  }

  /** With `fleet`: asks every controller's fleet to switch the faults; returns a problem, if any. */
  private tellFleet(on: boolean, duration: number): string | undefined {
    if (!this.fleet) return undefined;
    const request = { on, faults: this.faults.map((f) => f.name), experiment: this.experiment, duration };
    for (const gate of this.gates) {
      let told = false;
      try {
        told = gate.switchFleetFaults?.(request) === true;
      } catch (error) {
        reportInternalError(error, `chaos controller switchFleetFaults (experiment "${this.experiment}")`);
      }
      if (!told) return `could not ask the fleet to switch the faults ${on ? 'on' : 'off'} (the controller is in no fleet)`;
    }
    return undefined;
  }

  /** Injections per fault since the experiment was created (0 for a fault whose counter throws). */
  injections(): Record<string, number> {
    const out: Record<string, number> = {};
    this.faults.forEach((f, i) => {
      let n = 0;
      try {
        n = f.injections - (this.startInjections[i] ?? 0);
      } catch (error) {
        reportInternalError(error, `fault "${f.name}" injections`);
        n = 0;
      }
      out[f.name] = n;
    });
    return out;
  }
}

/** Time to detect: the earliest breach or circuit opening while the faults are on. */
export class Detection {
  /** When (ms since the start), or `null`. */
  at: number | null = null;
  /** What: `circuit <name> opened` or `breach <check id>`. */
  by: string | null = null;

  constructor(private readonly faults: FaultSwitch) {}

  /** Records `what` at `at` if the faults are on and nothing was detected earlier. */
  note(at: number, what: string): void {
    const on = this.faults.onAt;
    if (on === null || this.faults.offAt !== null || at < on) return;
    if (this.at === null || at < this.at) {
      this.at = at;
      this.by = what;
    }
  }

  /** Faults on → detection (ms), or `null`. */
  get timeToDetect(): number | null {
    return this.at === null || this.faults.onAt === null ? null : round(this.at - this.faults.onAt);
  }
}
