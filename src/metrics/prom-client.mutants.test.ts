/**
 * Pins the prom-client adapter rules: only an object with `registerMetric` is accepted
 * (exact message); a histogram's `_sum` sample carries its series labels; one scrape takes
 * one snapshot (`collect()` once), the next scrape a fresh one; `dispose()` removes exactly
 * the registered names, once (a second `dispose()` leaves a later registration alone).
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/virtual-clock';
import { createMetrics, type Metrics } from './aggregator';
import { MetricNames } from './names';
import { registerPromClient, type PromClientRegistry } from './prom-client';
import { populate } from '../../test/support/metrics-fixtures';

const MESSAGE = 'registerPromClient() expects a prom-client Registry (an object with registerMetric)';

async function populated(): Promise<Metrics> {
  const clock = new VirtualClock();
  const m = createMetrics({ clock });
  await populate(m, clock);
  return m;
}

/** The aggregator, counting its `collect()` calls. */
function counting(m: Metrics): { metrics: Metrics; calls: () => number } {
  let n = 0;
  const metrics = new Proxy(m, {
    get(target, key, receiver) {
      if (key === 'collect') {
        return () => {
          n++;
          return target.collect();
        };
      }
      const v = Reflect.get(target, key, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { metrics, calls: () => n };
}

describe('registerPromClient (rules)', () => {
  it('rejects anything but an object with registerMetric, with the documented message', async () => {
    const m = await populated();
    const callable = Object.assign(() => undefined, { registerMetric: () => undefined });
    for (const bad of [null, undefined, 'registry', 7, {}, { registerMetric: 'x' }, callable]) {
      expect(() => registerPromClient(m, bad as never)).toThrow(new TypeError(MESSAGE));
    }
  });

  it('renders _sum with the series labels', async () => {
    const m = await populated();
    const registry = new Registry();
    registerPromClient(m, registry);
    const text = await registry.metrics();
    const series = 'pipeline="payments",policy="payments",operation="payment.charge"';
    const sum = text.split('\n').find((l) => l.startsWith(`${MetricNames.callDuration}_sum{${series}} `));
    expect(sum).toBeDefined();
    expect(Number(sum?.split(' ')[1])).toBeCloseTo(2.309, 9);
    expect(text).not.toMatch(new RegExp(`^${MetricNames.callDuration}_sum \\S+$`, 'm'));
    const json = (await registry.getMetricsAsJSON()).find((f) => f.name === MetricNames.callDuration) as unknown as {
      values: { metricName?: string; labels: Record<string, string>; value: number }[];
    };
    const sums = json.values.filter((v) => v.metricName === `${MetricNames.callDuration}_sum`);
    expect(sums.length).toBeGreaterThan(0);
    expect(sums.find((v) => v.labels['operation'] === 'payment.charge')?.labels).toEqual({
      pipeline: 'payments',
      policy: 'payments',
      operation: 'payment.charge',
    });
  });

  it('takes one snapshot per scrape, and a fresh one for the next scrape', async () => {
    const { metrics, calls } = counting(await populated());
    const registry = new Registry();
    registerPromClient(metrics, registry);
    expect(calls()).toBe(1); // the registration reads the family list
    const families = metrics.collect().length;
    expect(families).toBeGreaterThan(1);
    await registry.metrics();
    expect(calls()).toBe(3);
    await registry.metrics();
    expect(calls()).toBe(4);
  });

  it('dispose() removes exactly the registered names, and only once', async () => {
    const m = await populated();
    const removed: string[] = [];
    const registered: string[] = [];
    const fake: PromClientRegistry = {
      registerMetric: (metric: never) => {
        registered.push((metric as { name: string }).name);
      },
      removeSingleMetric: (name) => {
        removed.push(name);
      },
    };
    const sub = registerPromClient(m, fake);
    expect(registered).toEqual(m.collect().map((f) => f.name));
    sub.dispose();
    expect(removed).toEqual(registered);
    sub.dispose();
    expect(removed).toEqual(registered);
  });

  it('a second dispose() does not remove a later registration of the same metrics', async () => {
    const m = await populated();
    const registry = new Registry();
    const first = registerPromClient(m, registry);
    first.dispose();
    registerPromClient(m, registry);
    first.dispose();
    expect(registry.getSingleMetric(MetricNames.calls)).toBeDefined();
    expect(await registry.metrics()).toContain('resilience_calls_total{pipeline="payments",policy="payments",operation="payment.charge",outcome="success"} 2');
  });

  it('a clash takes back exactly the names registered before it', async () => {
    const m = await populated();
    const names = m.collect().map((f) => f.name);
    const removed: string[] = [];
    let count = 0;
    const fake: PromClientRegistry = {
      registerMetric: () => {
        if (++count === 3) throw new Error('clash');
      },
      removeSingleMetric: (name) => {
        removed.push(name);
      },
    };
    expect(() => registerPromClient(m, fake)).toThrow('clash');
    expect(removed).toEqual(names.slice(0, 2));
  });
});
