/**
 * The estimator's metric rules (MXNet's estimator/utils.py): metrics given
 * as one metric, a list, or a CompositeEvalMetric (flattened to its
 * members); the default for a loss (Accuracy for SoftmaxCrossEntropyLoss);
 * a deep copy (Python's `copy.deepcopy`, for the validation metrics); and
 * the check that handlers use the estimator's own metric objects.
 */
import { Accuracy, CompositeEvalMetric, EvalMetric } from '../metric/index.js';
import { SoftmaxCrossEntropyLoss } from '../loss/softmax-cross-entropy-loss.js';
import type { Loss } from '../loss/loss.js';
import { showValue } from '../show-value.js';

/**
 * Metrics as a flat list (MXNet's `_check_metrics`); anything else is an Error naming `what`.
 *
 * ```ts
 * checkMetrics(new metric.Accuracy(), 'Estimator: trainMetrics'); // [Accuracy]
 * ```
 */
export function checkMetrics(metrics: unknown, what: string): EvalMetric[] {
  if (metrics instanceof CompositeEvalMetric) return metrics.metrics.flatMap((m) => checkMetrics(m, what));
  if (metrics instanceof EvalMetric) return [metrics];
  if (metrics === undefined || metrics === null) return [];
  if (!Array.isArray(metrics)) throw new Error(`${what} must be a metric or a list of metrics (metric.EvalMetric), got ${showValue(metrics)}`);
  return metrics.flatMap((m, i) => {
    if (!(m instanceof EvalMetric)) throw new Error(`${what} must be a metric or a list of metrics (metric.EvalMetric), got item ${i}: ${showValue(m)}`);
    return checkMetrics(m, what);
  });
}

/** MXNet's `_suggest_metric_for_loss`: Accuracy for a softmax cross-entropy loss. */
export function suggestMetricForLoss(loss: Loss): EvalMetric | null {
  return loss instanceof SoftmaxCrossEntropyLoss ? new Accuracy() : null;
}

/** Renames a metric in place, as MXNet's estimator sets `metric.name` ('training accuracy'). */
export function renameMetric(m: EvalMetric, name: string): void {
  (m as { name: string }).name = name;
}

/**
 * A deep copy of a metric (its class, counts and options), as Python's
 * `copy.deepcopy`: typed arrays, arrays, maps and objects are copied, the
 * prototype chain kept.
 */
export function copyMetric<T extends EvalMetric>(m: T): T {
  return deepCopy(m, new Map());
}

function deepCopy<T>(x: T, seen: Map<unknown, unknown>): T {
  if (x === null || typeof x !== 'object') return x;
  if (seen.has(x)) return seen.get(x) as T;
  if (ArrayBuffer.isView(x) && !(x instanceof DataView)) return (x as unknown as Float64Array).slice() as unknown as T;
  if (Array.isArray(x)) {
    const out: unknown[] = [];
    seen.set(x, out);
    for (const v of x) out.push(deepCopy(v, seen));
    return out as T;
  }
  if (x instanceof Map) {
    const out = new Map();
    seen.set(x, out);
    for (const [k, v] of x) out.set(k, deepCopy(v, seen));
    return out as T;
  }
  const out = Object.create(Object.getPrototypeOf(x)) as object;
  seen.set(x, out);
  for (const k of Reflect.ownKeys(x)) {
    const d = Object.getOwnPropertyDescriptor(x, k)!;
    if ('value' in d) d.value = deepCopy(d.value, seen);
    Object.defineProperty(out, k, d);
  }
  return out as T;
}

/**
 * MXNet's `_check_handler_metric_ref`: a handler's `metrics` must be among
 * `known` (the estimator's train and validation metrics) when default and
 * user handlers are mixed, so that a default handler's metrics and yours
 * are the same objects.
 */
export function checkHandlerMetrics(handler: object, known: Set<EvalMetric>): void {
  const ms = (handler as { metrics?: unknown }).metrics;
  if (!Array.isArray(ms)) return;
  for (const m of ms) {
    if (m instanceof EvalMetric && !known.has(m)) {
      throw new Error(
        `Estimator: event handler ${handler.constructor.name} refers to a metric instance '${m.name}' outside of the known training and validation metrics; use the metrics from estimator.trainMetrics and estimator.valMetrics instead`,
      );
    }
  }
}
