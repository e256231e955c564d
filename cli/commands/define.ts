/**
 * The commands' arguments, options and help text, apart from what they do:
 * each action imports its command's module (cli/commands/<name>.ts, which
 * loads the compiler or the runtime) when it runs, so `gluonc --help`,
 * `--version` and a usage error load commander and this file only, and
 * `gluonc run` or `serve` never load the compiler (issue 14, twenty-fourth
 * session: `--help` 0.16 s of CPU and 49 MiB peak, 0.55 s and 81 MiB with
 * every command's module loaded up front; figures in test/bench/train-mlp.ts).
 */
import { Command, Option } from 'commander';
import { UserError } from '../errors.js';
import type { BenchFlags } from './bench.js';
import type { CompileFlags } from './compile.js';
import type { GoldenFlags } from './golden.js';
import type { InspectFlags } from './inspect.js';
import type { RunFlags } from './run.js';
import type { ServeCliOptions } from './serve.js';

const collect = (v: string, acc: string[]) => [...acc, v];

/**
 * `checkGolden`'s default tolerances (GOLDEN_RTOL, GOLDEN_ATOL of
 * runtime/golden.ts), as `golden --help` states them: written here because
 * gluonc/runtime, the entry point cli/ may import them from, loads
 * onnxruntime-node, which `--help` does not need; test/cli/help.test.ts
 * checks that they are the same numbers.
 */
export const GOLDEN_HELP_TOLERANCES = { rtol: 1e-4, atol: 1e-5 };
const { rtol: GOLDEN_RTOL, atol: GOLDEN_ATOL } = GOLDEN_HELP_TOLERANCES;

function intOption(flag: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new UserError(`bad ${flag} '${v}': expected a non-negative integer`);
    return Number(v);
  };
}

/** What `compile --help` says a model file may export (see cli/model-file.ts and cli/train-artifact.ts). */
export const MODEL_FILE_HELP = `
A model file exports:
  default  a block, a block class (built without arguments) or a function returning a block
           (an async function is awaited)
  inputs   the input types by name, e.g. { x: { shape: ['N', 784], dtype: 'float32' } } (or --input)
  params   optional: a parameter file (relative to the model file) to compile instead of
           seeded random weights (random.seed(0))
  loss     optional, for --train: a loss block, class or function returning one (default:
           SoftmaxCrossEntropyLoss for an [N, C] output, else L2Loss)
  labels   optional, for --train: the label type (default: float32 [N] class indices for
           SoftmaxCrossEntropyLoss, the output's shape for L2Loss), e.g. { shape: ['N'], dtype: 'float32' }
  trainer  optional, for --train: optimizer options (default: SGD, momentum 0.9, learning
           rate 0.01), e.g. { optimizer: 'adam', learningRate: 0.001 }, or a name: 'adam'
  lossOutput
           optional, for --train: the output the loss reads when the model has several (default
           0, the first depth first; --loss-output overrides it), e.g. 'output1' or 1; the
           training artifact outputs them all (output0, output1, ...), the loss's alone
           differentiated

Example:
  npx gluonc compile models/mlp.ts -o mlp.onnx --train --report`;

/**
 * The `compile` command (cli/commands/compile.ts runs it).
 *
 * ```ts
 * program.addCommand(compileCommand());
 * ```
 */
export function compileCommand(): Command {
  return new Command('compile')
    .description('compile a model file (.ts or .js) to an ONNX artifact')
    .argument('<model>', 'model file exporting default (a block or a function returning one) and inputs')
    .option('-o, --output <file>', 'artifact to write (default: <model name>.onnx in the current folder)')
    .option('--input <name:dtype[dims]>', 'input type, e.g. x:float32[N,784] (repeatable; overrides the model file\'s inputs)', collect, [])
    .option('--opset <n>', 'ONNX opset, 13 to 21 (default 21)', intOption('--opset'))
    .addOption(new Option('-O <level>', 'optimization level 0, 1, 2 or 3').default('2'))
    .option('--train', 'also write <name>.train.onnx: forward, loss, gradients and optimizer update in one graph')
    .option('--loss-output <name|index>', '--train, a model with several outputs: the output the loss reads, e.g. output1 or 1 (default: the first, output0)')
    .option('--report', 'print, per optimization pass, the node counts before and after and the time spent')
    .addOption(new Option('--format <format>', "onnx (one .onnx artifact) or mxnet (MXNet's export: <prefix>-symbol.json and <prefix>-NNNN.params, -o giving the prefix)").default('onnx'))
    .option('--epoch <n>', "--format mxnet: the number in <prefix>-NNNN.params (default 0), as MXNet's export(path, epoch)", intOption('--epoch'))
    .addHelpText('after', MODEL_FILE_HELP)
    .action(async (model: string, flags: CompileFlags) => {
      await (await import('./compile.js')).runCompile(model, flags);
    });
}

/** The `run` command (cli/commands/run.ts). Example: `program.addCommand(runCommand())`. */
export function runCommand(): Command {
  return new Command('run')
    .description('run an artifact on .npy/.json inputs and write its outputs as .npy')
    .argument('<artifact>', 'the .onnx artifact')
    .option('--input <name=file>', 'an input as name=<file.npy|file.json> (repeatable; the name may be left out for a one-input artifact)', collect, [])
    .option('--device <device>', 'cpu or cuda', 'cpu')
    .option('-o, --output <dir>', 'folder for the output .npy files', '.')
    .action(async (artifact: string, flags: RunFlags) => {
      (await import('./run.js')).runRun(artifact, flags);
    });
}

/** The `inspect` command (cli/commands/inspect.ts). Example: `program.addCommand(inspectCommand())`. */
export function inspectCommand(): Command {
  return new Command('inspect')
    .description('print inputs, outputs, operator counts, parameter count and FLOPs per sample')
    .argument('<target>', 'an .onnx artifact, or a model file (.ts/.js) compiled in memory')
    .option('--input <name:dtype[dims]>', 'input type for a model file, as in compile (repeatable)', collect, [])
    .option('--json', 'print the analysis as JSON')
    .action(async (target: string, flags: InspectFlags) => {
      const { formatAnalysis, inspectTarget } = await import('./inspect.js');
      const a = await inspectTarget(target, flags.input);
      process.stdout.write(`${flags.json ? JSON.stringify(a, null, 2) : formatAnalysis(target, a)}\n`);
    });
}

/** The `golden` command with its `record` and `check` subcommands (cli/commands/golden.ts). Example: `program.addCommand(goldenCommand())`. */
export function goldenCommand(): Command {
  const common = (c: Command) =>
    c
      .argument('<artifact>', 'the .onnx artifact')
      .option('--dir <dir>', 'folder of the golden files', 'golden')
      .option('--device <device>', 'cpu or cuda', 'cpu');
  const record = common(new Command('record').description('run the artifact on seeded random inputs and record inputs and outputs'))
    .option('--rtol <x>', `relative tolerance to store in index.json for later checks (default ${GOLDEN_RTOL})`)
    .option('--atol <x>', `absolute tolerance to store in index.json for later checks (default ${GOLDEN_ATOL})`)
    .option('--seed <n>', 'seed of the random inputs', '0')
    .option('--batch <n>', 'size of every symbolic dimension', '2')
    .action(async (artifact: string, flags: GoldenFlags) => (await import('./golden.js')).goldenRecord(artifact, flags));
  const check = common(new Command('check').description('re-run on the recorded inputs and compare the outputs (exit 1 on a difference)'))
    .option('--rtol <x>', `relative tolerance: |got - expected| <= atol + rtol * |expected|, as numpy's isclose with equal_nan=True (default: the one in index.json, else ${GOLDEN_RTOL})`)
    .option('--atol <x>', `absolute tolerance (default: the one in index.json, else ${GOLDEN_ATOL})`)
    .action(async (artifact: string, flags: GoldenFlags) => {
      if (!(await import('./golden.js')).goldenCheck(artifact, flags)) process.exitCode = 1;
    });
  return new Command('golden').description('record or check golden outputs of an artifact').addCommand(record).addCommand(check);
}

/** The `bench` command (cli/commands/bench.ts). Example: `program.addCommand(benchCommand())`. */
export function benchCommand(): Command {
  return new Command('bench')
    .description('measure latency percentiles and throughput of an artifact')
    .argument('<artifact>', 'the .onnx artifact')
    .option('--batch <n>', 'batch size (every symbolic dimension)', '1')
    .option('--iterations <n>', 'timed runs', '200')
    .option('--warmup <n>', 'untimed runs first', '10')
    .option('--threads <n>', "onnxruntime intra-op threads (default $GLUONC_THREADS, else 0: onnxruntime's choice, one per core, for one run's latency; serve defaults to 1, --threads 1 measures what serve does)")
    .option('--device <device>', 'cpu or cuda', 'cpu')
    .action(async (artifact: string, flags: BenchFlags) => {
      (await import('./bench.js')).runBench(artifact, flags);
    });
}

/**
 * The `serve` command (cli/commands/serve.ts).
 *
 * ```ts
 * new Command('gluonc').addCommand(serveCommand()).parse(process.argv);
 * ```
 */
export function serveCommand(): Command {
  return new Command('serve')
    .description('serve an artifact over the Open Inference Protocol (KServe v2 REST): /v2/health/*, /v2/models/<name>[/infer], /metrics')
    .argument('<artifact>', 'the .onnx artifact')
    .option('-p, --port <n>', 'TCP port (0 picks a free one)', '8000')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--device <device>', 'cpu or cuda', 'cpu')
    .option('--fallback', 'with --device cuda, run on the CPU when CUDA is missing')
    .option('--threads <n>', 'intra-op threads per session (default 1: concurrent requests are the parallelism; bench defaults to 0)')
    .option('--workers <n>', 'worker threads for long runs (default 1)')
    .option('--no-batching', 'run every request on its own (no dynamic batching)')
    .option('--max-batch <n>', 'most rows in one merged batch (default 64)')
    .option('--batch-window <ms>', 'how long a request waits for others to batch with (default 0: same event-loop turn)')
    .option('--max-queue <n>', 'most requests waiting; past it, 503 (default 256)')
    .option('--max-body <bytes>', 'largest request body; past it, 413 (default 64 MiB)')
    .option('--max-bytes <bytes>', 'largest model file accepted (default 2 GiB)')
    .option('--max-connections <n>', 'most open connections; past it, new ones are closed (default 1024)')
    .option('--headers-timeout <ms>', "a request's headers must arrive within this time, else 408 (default 10000)")
    .option('--request-timeout <ms>', 'a whole request must arrive within this time, else 408 (default 60000)')
    .option('--keep-alive-timeout <ms>', 'idle keep-alive connections are closed after this time (default 5000)')
    .option('--name <name>', 'model name in URLs (default: the file name without .onnx)')
    .action(async (artifact: string, o: ServeCliOptions) => {
      await (await import('./serve.js')).runServe(artifact, o);
    });
}

/** The `import` command (cli/commands/import.ts). */
export function importCommand(): Command {
  return new Command('import')
    .description('inspect an ONNX file from another tool; write its parameters (safetensors) and a model file using SymbolBlock.imports')
    .argument('<model.onnx>', 'the ONNX file')
    .option('-o, --out <dir>', 'where to write <name>.safetensors and <name>.mts (default: next to the file)')
    .action(async (file: string, flags: { out?: string }) => {
      const { formatImport, importOnnx } = await import('./import.js');
      const r = importOnnx(file, flags.out);
      console.log(formatImport(file, r));
      if (r.refusal) throw new UserError(`'${file}' does not import (see above)`);
    });
}
