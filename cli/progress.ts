/**
 * Progress for long CLI work: a cli-progress bar on stderr, shown only when
 * stderr is a terminal (pipes, files and tests see nothing).
 */
import { SingleBar } from 'cli-progress';

/** A progress display: named steps, or counted iterations. */
export interface Progress {
  /** Starts the next named step (`compile`: load, trace, optimize, write). */
  step(name: string): void;
  /** Sets the count done (for counted work). */
  update(done: number): void;
  stop(): void;
}

const SILENT: Progress = { step() {}, update() {}, stop() {} };

/**
 * A progress bar over `total` units on stderr (or a silent one when stderr is not a TTY).
 *
 * ```ts
 * const p = progress('compile', 4); p.step('trace'); ... p.stop();
 * ```
 */
export function progress(title: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY || process.env['GLUONC_NO_PROGRESS'] === '1') return SILENT;
  const bar = new SingleBar({
    format: `${title} |{bar}| {value}/{total} {stage}`,
    stream,
    hideCursor: true,
    clearOnComplete: true,
    barsize: 24,
  });
  let done = 0;
  bar.start(total, 0, { stage: '' });
  return {
    step(name) {
      bar.update(done++, { stage: name });
    },
    update(n) {
      done = n;
      bar.update(n);
    },
    stop() {
      bar.update(total);
      bar.stop();
    },
  };
}
