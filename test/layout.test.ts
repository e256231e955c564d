/**
 * The layer order of DESIGN.md ("Layers"), enforced: every source folder
 * (and each file directly in compiler/) has a rank in `RANK`; an import
 * points to an equal or lower rank; no two files import each other through
 * value imports, no two folders through any import; each folder keeps to
 * its line budget and every file to 600 lines.
 *
 * `import type` (and `import('x').T` in a type position) is left out of the
 * file-cycle check only: it is erased when compiled, so it cannot make one
 * module run before another is initialized, and two types naturally refer to
 * each other (Value.producer is a Node, Node.inputs are Values). It counts
 * for ranks and for folder cycles like any import.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

/**
 * The rank of each unit: a folder, or a file directly in compiler/. A file
 * belongs to the longest key that is a prefix of its path. A file or
 * folder missing from this map fails the test: give it a rank here.
 */
export const RANK: Record<string, number> = {
  runtime: 0, // onnxruntime session, host tensors and dtypes, artifact checks, serve
  'compiler/ir': 1, // Value, Node, Graph; cloning, replacing uses
  'compiler/codecs': 1, // encoded images -> pixels (no arrays): mx.image's decoders and ONNX's ImageDecoder share them
  'compiler/ops': 2, // operator declarations
  'compiler/trace': 3, // Symbol and symApply
  'compiler/passes': 4, // graph -> graph
  'compiler/autodiff': 4,
  'compiler/train': 4, // the training step builder, if it gets its own folder
  'compiler/onnx': 5, // IR <-> ONNX bytes
  'compiler/onnx/import': 5, // other tools' ONNX operators -> gluonc operators (the reader's table; no import of compiler/onnx)
  'compiler/compile.ts': 6, // graph -> session
  'compiler/compile': 6,
  'compiler/eager': 6, // eager execution of one operator on a session
  'compiler/manifest.ts': 6,
  'compiler/engine': 7, // eager arrays, the tape, step recording, the compile cache
  'compiler/formats': 8, // safetensors, MXNet .params and symbol JSON, export/import (through interfaces of blocks and parameters)
  'compiler/gluon': 9, // Block, Parameter, nn, rnn, loss, optimizer, Trainer, data, init
  'compiler/index.ts': 10, // the package's entry points
  'compiler/gluon/index.ts': 10,
  cli: 11, // only through the entry points
};

/** Lines of TypeScript each unit may hold (folders only; files are capped at `FILE_CAP`). */
export const BUDGET: Record<string, number> = {
  runtime: 5510, // qa-clistart (26th): defaultThreads, GLUONC_THREADS as the intra-op threads of sessions that set none (session.ts, ~19); review (25th): mulberry32.ts, the seeded stream golden feeds and the tests share (+5); qa-nodeerr (25th): onnxNodeScope/splitScope/onnxOfScope, a node scope's imported ONNX node, and run errors naming it (run-error.ts, ~27); 24th: golden.ts moved here from compiler/ (recordGolden/checkGolden/randomFeeds use only the runtime; gluonc/runtime exports them, so gluonc golden and bench load no compiler; ~322); 23rd: onnxruntime's telemetry turned off unless ORT_DISABLE_TELEMETRY is set (ort.ts, ~22); qa-onnxnarrow (22nd): narrow.ts, ONNX's narrow dtypes (formats, exact decoding, unpacking, ONNX's Cast rounding; the widening marks moved from dtypes.ts, ~180); qa-apigaps (17th): intLimits, the integer dtypes' exact ends (~15); qa-import2 (17th): ONNX's names of the data types gluonc lacks and the bfloat16 widening marks (dtypes.ts, ~20); dtypes16: int16, uint16, uint32, uint64 (dtype table, bigint writes, feeds, KServe names, npy codes; ~35); pool-guard: dim-expr.ts (the artifact's size expressions and constraints, ~200), feeds' constraint check and doesNotFit shared with run-error (~60); rnn-export: FeedError (input, declared and received shape) and onnxruntime's size failures with symbolic inputs as the caller's (serve 400, ~70); api-edges: run-error's nodeFailure shared with compileGraph (~25); UnknownOptionError (owner, keys) so a Trainer reports its optimizer's keys (~15); run-error.ts, a failed run named by node, gluonc operator, block and fed shapes (~125); checkOptions without allocations on the training step (~5); strict-opts: check-options.ts, the one check of options objects (unknown keys, nearest-key suggestion; ~125) and serve's key list; qa-data: numpy's array printing (format-values, ~190, moved out of compiler/engine/ndarray.ts)
  'compiler/ir': 600,
  'compiler/codecs': 1000, // qa-mximage (23rd): the image decoders moved out of gluon/data/image-decode.ts (JPEG/PNG, ~190) so ops' ImageDecoder can use them, and BMP, PNM, GIF (hand-written as OpenCV reads them), WebP and TIFF (libraries), ~700
  'compiler/ops': 16540, // qa-seqlist (26th): OnnxLoop's ragged carried values (a list edited at a position: kept as its length, computed again by OnnxLoopGrad up to each iteration, ~20); qa-lenet2 (26th): byColumns' weight gradient with the columns as the Gemm's left operand from 16 filters, or 8 with 8 column rows each (columnsLeft, ~25); qa-nodeerr2 (26th): nodeLabel, a node named readably among others, and SymbolicDimError naming an imported ONNX node first (~12); qa-convgrad (25th): convColumns, a convolution's input unfolded with the example innermost (conv-columns.ts: one Gather of a tap table, col2im gradient, ~175), convWeightGrad's one-Gemm form by it (byColumns, ~30); qa-loopseq (25th): OnnxLoop's grows and front (a growing carried list's gradient kept as its length and sliced from the final value, ~40); qa-nodeerr (25th): OpError and size constraints name an imported ONNX node first, namingOnnxNode/inOnnxNode (errors.ts, ~33); qa-scatter2 (25th): scatterReduce 'sum'/'mean' and includeSelf (the kernel's first update replacing the data, identities and counts in the lowering, scatter_reduce_backward for every pair, ~62); qa-scatter (24th): scatterReduce, torch's scatter_reduce prod/amax/amin onto ScatterElements mul/max/min with scatter_reduce_backward (scatter-reduce.ts, ~155); qa-mbtarget (24th): MultiBoxTarget lowered to ONNX (box-lower.ts' lowerMultiBoxTarget: a Loop for the greedy matching, TopK for the hard negatives, ~125); qa-mlfiles (24th): OnnxLoop's named symbols of the body bound to the inputs' numbers in its output types, and only opaque dimensions counted as changing for its gradient (~8); qa-dcnv1 (24th): DeformableConvolution, MXNet 1.x's v1 (deformable-conv-v1.ts: float64 kernel, exact lowering onto DeformConv with moved offsets, ~190) and v1's rule in the shared deformableGrad (~35); 23rd review: takesInputs, the input-count wording shared with the MXNet symbol reader (~10); merge (23rd): the three branches' additions together (~27 over their sum); 23rd: checkInputCount, every node's input count against OpSpec.inputs (infer.ts, ~20); qa-mximage (23rd): imageDecoder, ONNX's ImageDecoder as a host-only operator on compiler/codecs (image-decoder.ts, ~65); qa-onnxseq (23rd): bitcast.ts (numpy's view(dtype) / ONNX BitCast: byte-copy kernel, BitCast lowering at opset 26, ~65) and OpSpec.maxOpset (~2); 22nd: randomUniformLike keeps [low, high) in float32 (largestBelow, ~25); qa-onnxgrid (22nd): ModulatedDeformableConvolution (deformable-conv.ts: DeformConv lowering, its gradient in gluonc operators, ~190); qa-onnxbits (22nd): bitwise.ts (bitwiseAnd/Or/Xor/Not, leftShift, rightShift: BigInt kernel, BitShift lowering of signed and out-of-range shifts, ~130); qa-onnxfix (22nd): fmod, the exact truncated remainder (fmod.ts, ~30: ONNX Mod's float forms imported onto it); qa-onnxnarrow (22nd): narrowCast, the rounding onto ONNX's narrow dtypes (narrow-cast.ts: TypeScript kernel, float64 arithmetic lowering per format, PyTorch's gradient; ~140); qa-mxexamples (21st): addN, MXNet's add_n / ElementWiseSum (elemwise.ts, ~40); qa-mxfused (21st): fusedRNNParams, the fused RNN's flat vector checked and sized from the data (rnn-param.ts, ~87); qa-detlower (21st): boxIou/boxNms/boxNmsGrad/MultiBoxDetection lowered to ONNX (box-lower.ts, ~290: float64 in the graph, TopK's tie order, a Loop for the greedy suppression), sort.ts' emitTopK (onnxruntime's SIGFPE on an empty batch, ~20), OpSpec.eagerKernel (~8); qa-ctc (21st): CTCLoss and CTCLossGrad (ctc.ts: float64 kernels and Scan lowerings of the alpha/beta recursions, the compiled NaN marking of bad labels/lengths, ~366), OpSpec.gappedInputs (~8); qa-roigrad (20th): ROIPooling's gradient (roiArgmax, the bins' first maxima found again with graph operators, ~80), boxNmsGrad (MXNet's BoxNMSBackward on host arrays, ~60), ROIAlign's adaptive-grid gradient (separable row/column weights; roiTaps split into roiAxes/samplePositions/bilinearAxis, ~85); qa-multibox (19th): MXNet's detection operators MultiBoxPrior/Target/Detection (multibox.ts, ~370) and box_iou/box_nms (box-ops.ts, ~215), OpSpec.hostOnly (~8); 19th: roiInputs, ROIPooling's and ROIAlign's one input check (~5); qa-module (19th): MXNet 1.x's training heads SoftmaxOutput, Linear/Logistic/MAERegressionOutput, MakeLoss (heads.ts, ~250) and OpSpec.lossHead; qa-roialign (19th): ROIAlign onto ONNX RoiAlign, its gradient by roiTaps (shared with the RoiAlign importer) (roi-align.ts, ~228); indexAdd onto ScatterElements (18th, ~8: onnxruntime's ScatterND add races); roi (18th): ROIPooling onto MaxRoiPool (roi.ts, ~80); qa-d2lrnn (17th): broadcastTo to another tensor's symbolic size is broadcastLike of zeros (redirects.ts, ~26); qa-apigaps (17th): softmax/logSoftmax's dtype (softmaxIn, ~30), clip's one-sided bound of an integer array and bounds beyond the dtype (~18), topk typed by retTyp (TopkOf, OpsOf/MethodsOf's Typed, ~30), rowMajorPosition (gatherNd's and GatherND's one linearization, ~25); qa-d2lcv (16th): clip's one-sided bound of a float array (numpy's None, x.clip(0)) (~8); qa-calls (16th): Convolution/Deconvolution/Pooling/maskedSoftmax positional orders, pValue/targetShape places, softmax's unused length refused (~20), fft moved to fft.ts (nn.ts at 600; ~14 of header); 15th: contrib.ts (arangeLike, divSqrtDim, broadcastAxis: GluonNLP's F.contrib calls, ~150), float64-scale.ts (guardFloat64Scale moved out of elementwise.ts, float64Scale shared with divSqrtDim, ~20); qa-zoo (15th): elemwiseAdd/Sub/Mul/Div, MXNet's elemwise_* of equal shapes (~30); qa-left (15th): positional options of slice, sliceAxis, pad, take, pick, split, topk, sort, softmax, norms, dot, FullyConnected... in MXNet's order (PositionalOptions types, ~45), repeat's gradient by a count read at run time (~30), requireDimAtTrace and the redirect's end <= size (~35); qa-bert: erfFloat64 (float64 erf/gelu in compiled graphs from float64 ONNX operators, ~37), slice's gradient up to a fixed end of a symbolic axis (~12); softmax-length (14th): softmax's length input and useLength (MXNet's use_length, ~50); qa-import (14th): call.ts's dimTag (~5); dtypes16: the 16- to 64-bit integers in element-wise ops, sum, max, min, Clip, Pad, NonZero (~40); pool-guard: requireDim and graphConstraints (dim-constraints.ts, graph-constraints.ts, ~120); f-random: F.random (random-namespace.ts, ~135); multinomial: sampleMultinomial (multinomial.ts, ~120); import-breadth: random.ts (randomUniformLike, randomNormalLike, ~110); mxnet-compat: MXNet 1.x's integer rule of the float functions and nd.mean (truncating), kernelTakes, nansum/nanprod, solveParamShape, OpSpec.params (~180); loop-grad: OnnxLoop's save (per-iteration carried values and residuals as extra scan outputs), OnnxLoopGrad reading them, the named error for a carried value changing shape (~60); itemAt (x[i] for NDArray.at and Symbol.at, ~15); migrate-sweep: swapaxes/SwapAxis (~30), reshape's numbers one by one and SequenceMask's positional options (~15); import-loop: OnnxLoop (loop.ts, ~280: body codec, gradient rule), OnnxLoopGrad (loop-grad.ts, ~110), LowerCtx.lowerOp, unique along an axis and of floats (~85); dtype-gaps: int8/uint8/bool sum/prod/cumsum, computeIn, float16 linalgGemm, where's numbers, max/min of an empty axis and of bool, uint8 neg (~25); qa-dtypes: float16InFloat32 lowerings, exact int32 kernels, cast's out-of-range rule, int8/bool where and nonzero, full's value range (~65); importx: the quantized operators (quantized.ts, ~380), nonMaxSuppression (~70), maxPoolIndices/maxUnpool (unpool.ts, ~140); grows with the operator set (issue 16's creation, masked softmax, scatter, group-norm operators: ~1,100; issue 17's imported operators and 18's Scan gradient: ~300 so far); symdim: x.shape's SymbolicDim while exporting and the names reshape/broadcastTo/slice take (~125; main already held 9534); qa-d2l: transpose's axes one by one, reshape's x.shape[k] away from its place (COPY_AXIS), repeat's count read when the graph runs (~40), OpDef.redirect (redirects.ts: reshape to another tensor's whole shape as reshapeLike, a slice up to another tensor's size as take of arange; ~70)
  'compiler/trace': 918, // qa-nodeerr2 (26th): DataDependentError naming an imported ONNX node first (~3); qa-internals (20th): MXNet's node names, getInternals and its DFS order, listOutputs, SymbolGroup with get(name) and near-name errors, the name option typed on more forms (node-names.ts ~170, symbol.ts ~140, sym.ts ~25); qa-bucketing (20th): sym.var's init (MXNet's __init__ attribute, ~14); qa-module (19th): retype normalizes a node made from unknown shapes before its type rule (~4); qa11: inferShape solves unbound parameters' shapes (retype.ts ~20); mxnet-compat: MXNet's symbolic forms (name, parameters created as variables; ~75); qa-d2l: symApply runs an operator's redirect (~7)
  'compiler/passes': 2000, // issue 14/18 step-graph passes: gate-pool-grad, save-recurrent-activations, simplify-algebra's constant gathering
  'compiler/autodiff': 800,
  'compiler/train': 800,
  'compiler/onnx': 3225, // qa-seqlist (26th): SequenceInsert and SequenceErase at a position on a sequence of run-time length (insertAt, eraseAt, a run-time position into known items, ~65), a run-time If selecting two such sequences of different lengths (pickRows, ~15), a list read near its ends carried as its last rows and length (ListTail, mapTail, runtimeLoop's tails, through a run-time If, an empty start's length only, ~135), ragged for the gradient (~3); qa-loopseq (25th): a carried sequence the body reads, carried as its items stacked (readBody, an empty start's items' shape, grows and front, ~75); qa-nodeerr (25th): lowered ONNX node names carry the imported source node's, lowering errors name it (emit.ts, ~7); qa-onnxseq2 (24th): sequences carried through a Loop decided at run time (appended items as scan outputs, appendOnly, ~80) and sequences of run-time length held stacked (mapStacked, SplitToSequence of a symbolic axis, ~115); qa-onnxseq (23rd): graphOpset/maxOpsetOf (a graph holding bitcast written at opset 26, refused with an operator capped at 21, ~40); read-boundary.ts (sequence and optional graph inputs and outputs bound per call structure, Optional/OptionalHasElement/OptionalGetElement, ~200), SequenceMap unrolled (~30), sequences through If and unrolled Loops (read-control.ts, ~40), value-info.ts (typeOf/sameShape moved out of read.ts, ~50 with its header); qa-onnxnarrow (22nd): proto.ts widenNarrow (every narrow dtype's data, ~5); qa-onnxlinattn (22nd): inlineGraph (a node's graph attribute applied to values: FlexAttention's score_mod/prob_mod, ~35); qa-import2 (17th): bfloat16 read as float32 (proto.ts readDType/widenBfloat16, ~30), a shape value as a graph output computed at run time and the reader's hooksOf (~10), non-tensor inputs named (~5); qa-vision (16th): exported-constants reads torch.export's graph signature (a value folded from a buffer is frozen, ~35); 15th: exported-constants.ts (torch's dynamo exporter's record of buffers and folded constants, read from value_info metadata, ~95); int64-minmax: int64-minmax.ts (exact Max/Min/Clip/Sign/ReduceMax/ReduceMin on int64, onnxruntime 1.30's kernels wrong past int32, ~110; int64-idx: any input of Max/Min/Clip names T, ~10), emit's dtype of each ONNX name (~15); import-loop: read-loop.ts (a Loop decided at run time as one OnnxLoop node, ~170), the reader's ScopeReader, opset 8's Scan; importx: read-sequence.ts (sequences built and read in the file, ~115), If decided at run time (both branches and where, ~35); + the emitter's peephole (peephole.ts: Reshape chains onnxruntime's fusion fails to load); read.ts: external data, refusals naming the file; read-control.ts: If, Loop and Scan decided when the file is read
  'compiler/onnx/import': 6440, // qa-scatter2 (25th): ScatterElements 'none' with one-value updates (torch dynamo's include_self=False) and 'add'/'none' over symbolic shapes onto scatterReduce 'sum' (~6); qa-mlfiles (24th): ml-svm-coupling.ts (SVMClassifier's probability estimates: Platt scaling and libsvm's coupling as an OnnxLoop, ~95), SVMClassifier's linear form (~35); qa-citime (23rd): dilated pooling's windows taken one axis at a time (nn.ts, ~5); qa-onnxseq (23rd): BitCast's builder, the sequence and optional boundary in table.ts (~8); qa-mximage (23rd): image.ts, ImageDecoder onto imageDecoder (~37); 23rd: schemas.ts, ONNX's operator signatures as python onnx prints them (a generated table, ~230 lines, and checkSignature, ~45), two builders' messages for a missing optional input (~4); qa-onnxml (23rd): ml-trees.ts (ai.onnx.ml's tree ensembles as a vectorized traversal with trainable leaf weights, ~425), ml.ts (its other numeric operators, named refusals of maps and strings, ~235), ml-svm.ts (SVMRegressor, SVMClassifier's one-vs-one votes, ~145); qa-onnxlinattn (22nd): linear-attention.ts (LinearAttention's recurrence unrolled, every update rule, ~135), FlexAttention in attention.ts (~70), ImportCtx.applyGraph and knownAttrs (~25); qa-onnxgrid (22nd): GridSample's N-D form (5-D volumetric, ~15), DFT's opset-20 axis input, IRFFT and dft_length (~30), DeformConv (~18); qa-onnxbits (22nd): BitwiseAnd/Or/Xor/Not and signed BitShift onto the bitwise operators (~10), the combining scatters' rounds for ScatterElements too and max/min (combineInRounds, ~15), Reshape allowzero, Resize crop axes, CausalConvWithState k=1 (~10); qa-onnxfix (22nd): opset 6's binary broadcast/axis (~20), the unread-attribute rule (context.ts, table.ts, ~30; builders reading or ignoring what they skipped, ~20), SpaceToDepth's mode, Mod's floored remainder on fmod (~25), empty-axis identities of ReduceMax/Min/LogSumExp (~25), QLinearMatMul with float16 scales and ConvInteger per-channel weight zero points (~40), casts to bfloat16 (~20); qa-onnxnarrow (22nd): narrow.ts (Cast/CastLike/QuantizeLinear onto ONNX's narrow dtypes, ~55), the narrow-format marks generalizing bfloat16's (~10); qa-onnxattn (21st): attention.ts (ONNX's Attention of opsets 23-25 and TensorScatter, ~250), CumProd's doubling scan in scatter.ts (~30), SwiGLU and CausalConvWithState in modern.ts (~40); qa-import2 (17th): float shape values (a Cast of a shape read by Range), noteShapeOf (sizes read from a tensor whose Shape was taken), bfloat16 marks and refused casts to it, Resize by any positive scale on symbolic axes (~85 in all, 4128 -> 4211); qa-vision (16th): GatherND over symbolic addressed axes (run-time strides, ~15), auto_pad SAME with stride 1 and dimTensor's '(H+-1)' over symbolic sizes (~5), resize-taps.ts (Resize to symbolic sizes or by integer scales, nearest/linear/cubic taps at run time, ~140), dim-values.ts (symbolic sizes compared by value, ~125), Reshape matching targets by value and aligning splits/merges (~55), DepthToSpace/SpaceToDepth and GatherND with symbolic sizes (~15); 15th: overwriting ScatterElements/ScatterND at run-time indices (checked in the run; 1-D any length: pack_padded_sequence enforce_sorted=False, ~25); qa-import (14th): TopK of the axis's own symbolic size (torch.sort), ReduceProd of a shape value and Range up to it (arange(x.numel()), ~15); Col2Im onto take + indexAdd (scatter.ts, ~60), Reshape keeping a symbolic target its -1 would not compute (reshape.ts, split from shape.ts, ~30), boundedIndices (run-time index checks of the gathers and scatters, ~20); onnx-modern: modern.ts (RMSNormalization, Swish, CenterCropPad, AffineGrid, RotaryEmbedding, ~150); multinomial: Multinomial onto sampleMultinomial (~15); import-breadth: training.ts (ai.onnx.preview.training's Adagrad, Adam, Momentum, ~110), the other-domain table (~10), random.ts (RandomUniform(Like), RandomNormal(Like), Bernoulli, ~55), training-mode Dropout (~15), tfidf.ts (TfIdfVectorizer of integer pools, ~80), BitShift of uint8 (~20), MelWeightMatrix (~35), Resize's tf_crop_and_resize (~40); loop-grad: Slice with steps and axes computed at run time, ONNX's clamping (~35); import-loop: Slice with starts/ends computed at run time (~35); importx: quantized.ts (MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv) and NonMaxSuppression (~50), roi-align.ts (~80), MaxPool indices/MaxUnpool (~25); + symbolic dimensions at run time (qa-import: Reshape/Expand/Range/Slice targets, shapes as data, shape-values.ts), blocked quantization; Mish, GroupNormalization, Lp norms and pools, dilated average pooling, Resize antialias/axes/aspect policy, Pad wrap; NonZero, Compress
  'compiler/compile': 800, // 
  'compiler/eager': 600, // 
  'compiler/engine': 3580, // qa-eagerstep (26th): pending LazyOps in a strong list, forgotten when run or filled (no WeakRef per operator, no Set, ~55); qa-nodeerr2 (26th): a deferred operator runs in its call's scopes and keeps its failure, the tape's backward reads it first, the compiled tape's gradient rules in '<scope> (gradient)' (~40); qa-nodeerr (25th): tape entries keep their scopes, eager gradient errors name an imported ONNX node (~8); qa-mxexamples (21st): NDArray.asscalar (~10); 19th: wait-all.ts, nd/npx.waitall run the deferred step program too (~22); qa-d2lrnn (17th): a freed graph's arrays are constants in a later recording, p.data().grad is the parameter's gradient (~25); 17th: the thread probe's arena-less second session (~10); qa-d2lnlp (16th): NDArray.waitToRead (~5); qa-d2lcv (16th): NDArray._adopt, the in-place write of Parameter.setData and Trainer updates (~25); increments: step-feeds.ts, SGD momentum fed as the previous weight (~95); train-multi: outputNames, the one naming of flat outputs (~15); random-more: random-dist.ts (exponential, gamma, Poisson, permutation, logGamma, ~90), nd.random.randn/exponential/gamma/poisson/shuffle (~45); multinomial: nd.random.multinomial with getProb (~35); rnn-export: output-tree.ts, nested outputs flattened and regrouped (~50); migrate-sweep: nd.random's keyword arguments (bindRandom, ~50), x.T, copyto (~25), at(i) (~10), checkSameContext and asInCtx (~25); strict-opts: option checks of autograd.record/pause/backward/grad, NDArray.backward, nd.arange (~10); qa-mxnet: the creation functions' option checks and MXNet's positional dtype (~20); issue 14: the eager compiled backward/update (lazy-op, tape-graph, update-graph) and the fused step's thread probe (step-threads); the step's parameter signatures (step-params: gradReq/dtype changes, ~110); qa-eager: MXNet's freed graph (retainGraph), autograd.backward of several heads, attachGrad's checks, exact int64 bigints (~70); qa-d2l: np/nd zeros/ones/full/arange of x.shape[k] build the graph operator, ndApply routes traced dimensions (~17)
  'compiler/gluon': 24046, // qa-eagerstep (26th): Block._paramsReady, an eager call's parameter check without collectParams (~28); qa-nodeerr (25th): SymbolBlock replays an imported node in inOnnxNode (~3); qa-detaug (25th): the C++ ImageDetRecordIter's default detection augmenter (det-aug-default.ts ~250: crop samplers, pad, mirror, resize modes; det-aug-params.ts ~185: DefaultImageDetAugmentParam's defaults, broadcasting, checks; det-aug-color.ts ~110: OpenCV's 8-bit HLS jitter and contrast), ~565; qa-dcnv1 (24th): gluon.contrib.cnn.DeformableConvolution (v1) over a base shared with ModulatedDeformableConvolution, both in MXNet's positional order (~75); qa-onnxseq (23rd): symbol-io.ts (an imported file's sequence/optional inputs as lists and nulls, outputs nested back, ~110), SymbolBlock's per-structure reads and importOnnx (~55), hybridForward returning only nulls named (~4); qa-onnxgrid (22nd): gluon.contrib.cnn.ModulatedDeformableConvolution (nn/contrib-cnn.ts, ~110); qa-onnxbits (22nd): np's bitwise functions (np-logical.ts, ~20); qa-ctc (21st): gluon.loss.CTCLoss (ctc-loss.ts, ~65), npx.ctcLoss (~5); qa-mxexamples (21st): nn.PixelShuffle1D/2D/3D (nn/pixel-shuffle.ts, ~110; for super_resolution.py); qa-estimator (21st): gluon.contrib.estimator (estimator/: Estimator ~285, event handlers ~515, CheckpointHandler ~205, BatchProcessor and the metric rules ~150); qa-gluoncells (21st): gluon.rnn's cell containers and modifiers (rnn/cell-base.ts: the cells' shared call/beginState/unroll, ~275, RecurrentCell's unroll moved there; cell-containers.ts: SequentialRNNCell, HybridSequentialRNNCell, BidirectionalCell, ~315; cell-modifiers.ts: DropoutCell, ModifierCell, ZoneoutCell, ResidualCell, VariationalDropoutCell, ~355; lstmp-cell.ts: LSTMPCell, ~105; contrib.rnn, ~15); qa-mxfused (21st): legacy mx.rnn's FusedRNNCell (rnn/sym-cell-fused.ts, ~250), save/load/doRnnCheckpoint (rnn/sym-checkpoint.ts, ~70), ZoneoutCell (~60), the cells' unpackWeights/packWeights/stateNames (~110), init.FusedRNN and Initializer.withGlobal (~65), cutFusedParams/fusedZeroStates shared with the MXNet RNN reader (~50); qa-mxio (20th): MXNet 1.x's mx.io MNISTIter (mnist-iter.ts, ~140), CSVIter (csv-iter.ts, ~170), ResizeIter/PrefetchingIter (iter-wrappers.ts, ~190), ImageDetRecordIter (image-det-record-iter.ts, ~150), the C++ iterators' option checks (iter-options.ts, ~65) and the normalizer/record-index code shared with ImageRecordIter (record-iter-common.ts, ~75, moved out of image-record-iter.ts); qa-metriclocal (20th): MXNet 1.x's local/global metric accumulators (resetLocal, getGlobal, getGlobalNameValue in the shared EvalMetric; F1's counts and PearsonCorrelation's moments kept twice, ~100), Python's %f for the Module log lines (~20); qa-internals (20th): replays name their nodes (namedCall), sym.SymbolGroup/withNameManager exports, Module.setParams' extra-entry check moved from initParams (~10); qa-bucketing (20th): MXNet 1.x's BucketingModule (module/bucketing-module.ts, ~300), Module's loops moved to module/base-module.ts (BaseModule, ~0 net) with sharedModule/borrowOptimizer (~25), the legacy mx.rnn cells over Symbols (rnn/sym-cell.ts, ~410; DropoutCell/ResidualCell/BidirectionalCell in rnn/sym-cell-modifiers.ts, ~165), encodeSentences/BucketSentenceIter (data/bucket-sentence-iter.ts, ~245), sym.var's init reaching SymbolBlock and init.LSTMBias (~35), the reader's computed head labels (~20); qa-detiter (20th): mx.image's detection augmenters and CreateDetAugmenter (image-det-aug.ts, ~545), ImageDetIter over ImageIter's reading and batching (image-det-iter.ts, ~180), ImageIter's subclass hooks and padImage shared with RandomCrop (~25); 19th review: Module's option keys checked (checkOptions) and its unlabelled inference's zero labels kept per data shapes (~25); qa-module (19th): MXNet 1.x's Module API (module/: module.ts ~570, checkpoint.ts ~160, callback.ts ~70) and the reader's labels reaching the heads; qa-roialign (19th): npx.roiAlign and nd.contrib's doc (~5); qa-imageiter (19th): mx.image's augmenter classes with MXNet's positional-or-named parameters (image-aug.ts, ~555), CreateAugmenter and ImageIter (image-iter.ts, ~390), io.ImageRecordIter mapped onto them (image-record-iter.ts, ~185), the .lst reader and os.path.join rule shared with ImageListDataset (~15); qa-listinput (18th): nested list inputs and constant arguments to block calls (call-inputs.ts' flattenInputs/regroupInputs, MXNet 2's _flatten/_regroup, ~120), Block.registerChild and Sequential's (~70), structureOf moved to structure.ts (~0 net); ImageListDataset (18th, ~70); io (18th): MXNet 1.x's NDArrayIter, DataBatch, DataDesc (io.ts, ~190); datasets (18th): MNIST, FashionMNIST, CIFAR10, CIFAR100 from MXNet's files (vision-datasets.ts, ~225); recordio (18th): mx.recordio's MXRecordIO/MXIndexedRecordIO/pack/unpack/packImg/unpackImg in dmlc-core's format (recordio.ts, ~330), RecordFileDataset and ImageRecordDataset (~95), imageLayout (~30); images (18th): mx.image's imread/imdecode (image-decode.ts: mozjpeg and pngjs as OpenCV decodes, ~190), image.ts (imresize, resizeShort, the crops, colorNormalize, ~240), ImageFolderDataset (~95); qa-vision2 (18th): Resize's INTER_CUBIC/INTER_AREA/INTER_LANCZOS4 (vision-interp.ts, ~180), Rotate/RandomRotation (vision-rotate.ts, ~190), HybridCompose/RandomApply/HybridRandomApply (vision-compose.ts, ~130), np.pad's numpy modes (np-pad.ts, ~150); qa-d2lopt (17th): np.ravel, a function as lrScheduler and the schedule-value check in the Trainer, the schedules' warmupBeginLr check, DataLoader over an NDArray's rows (~30); qa-apigaps (17th): np.split's indices and np.arraySplit (np-split.ts, ~80), np.pad (np-pad.ts, ~65), np.vstack/hstack/dstack/columnStack (np-join.ts, ~50), npx.convolution/deconvolution's npx defaults (~15), Block.setattr and setattr's MXNet names (~20); qa-transforms (17th): gluon.data.vision.transforms' Resize, crops, flips (vision-resize.ts over vision-image.ts: OpenCV's INTER_LINEAR/INTER_NEAREST on host arrays) and color jitter (vision-color.ts), ~1010; qa-d2lnlp (16th): splitData/splitAndLoad keyword options (~4); npx.gatherNd (npx-gather.ts, MXNet's gather_nd for numpy's X[i0, i1], ~80), npx.topk typed by retTyp (~12), integer sample weights cast in applyWeighting (~3), npx.waitall/nd.waitall (~6); qa-d2lcv (16th): gluon.modelZoo's Error pointing at models/zoo (model-zoo.ts, ~20); HybridSequential/Sequential.slice (net[:-2]), init.Constant(ndarray), np.sort/argsort axis options, npx.multibox* Errors, npx.batchFlatten (~60), np.meshgrid, np.eye, np.identity (np-grids.ts) and np.logicalAnd/Or/Xor/Not (np-logical.ts), np.broadcastTo's empty dimension (~120); qa-calls (16th): an absent input anywhere among a block's inputs (call-inputs.ts' holes and signatures, callStrategy moved to call-strategy.ts, ~75), npx's MXNet 2 positional order (npxOrdered for pooling/softmax/logSoftmax, ~50); 15th: SymbolBlock.imports freezes the buffers torch's exporter records (~3), padDeclaredInputs' fast path (~3); qa-zoo (15th): nn.HybridConcurrent/Concurrent/Identity (concurrent.ts) and gluon.contrib.nn (~135); qa-left (15th): a trailing null input is absent (call-inputs.ts, ~20), positional layers' T <= maxLen and SymbolBlock's manifest constraints (~10); qa-bert: padDeclaredInputs (optional inputs named in hybridForward, ~25), adamw's correctBias and 'bertadam' (~20); dtypes16: batchify's typed arrays and Pad ranges of the new integers, np's uint64 scalar rule (~10); mx-cell-docs: the MXNet reader's zeros of an inferred size (~25), the cells' MXNet _alias (~5); random-more: np.random.exponential/gamma/choice/shuffle/permutation (~90); multinomial: np.random.multinomial (np-random.ts, np's random moved out of np.ts, ~40); qa11: SymbolBlock's BatchNorm moving statistics traced, exportNames, exportDims (~35), np's axis=() (~30); mxnet-compat: SymbolBlock(outputs, inputs, params) from symbols (symbol-graph.ts ~120, SymbolBlock ~75), np's float functions of integers, np.nansum/nanprod/var/std/all/any/countNonzero (~90); rnn-export: beginState's zeros of a symbolic batch (begin-state.ts, ~15); migrate-sweep: the adadelta optimizer (~50), ParameterDict printing, Sequential.get<T>; mxnet-rnn: the reader's RNN / _zeros / SwapAxis steps and their trace record (mxnet-rnn-read.ts ~165), the layer's trace record (~12); api-edges: SymbolBlock's refusal of symbols, KwArgs' flat options type (~10); bindOptions/OptionArgs and MXNet's positional parameters of every class, in MXNet's order (norms, PReLU, pools, Dense, Conv, Dropout, Embedding, rnn layers and cells, losses, metrics, initializers, optimizers, schedules, Parameter, DataLoader, Pad; ~255); listCtx/resetCtx/listData/listGrad, setattr and Trainer param checks (~45); qa-dtypes: multiPrecision and float16 updates in the Trainer, BatchNorm.cast and Block.cast through children, np's out-of-range integer numbers (~35); strict-opts: unknown options refused in every constructor and function (key lists of the rnn layers/cells, attention, transformer, Parameter, initializers, metrics; ~60); symdim: layers read plainShape(x.shape) while exporting (~15); kwargs: bindArgs, Python's binding of a constructor's positional parameters by name (~125), and every constructor and factory taking them (~190); np.nonzero, np.unique, npx.nonzero; + qa-data: gluon.data.vision.transforms (ToTensor, Normalize, Cast, Compose) and blocks in transform (~150), gluon.metric, MXNet 2's evaluation metrics (~665 in metric/), gluon.utils splitData/splitAndLoad/clipGlobalNorm (~90), the schedules' option and update-count checks (~25), Pad's val per dtype and Dataset columns (~30), MXNet's samplers (SequentialSampler, RandomSampler, BatchSampler, DataLoader's sampler/batchSampler options, ~150), summary's container rule and typed-array columns (~40); + qa-blocks: structure tracking of hybridized blocks, call inputs, ParameterDict.get checks, initializer names, warnings (~270), data.batchify's Pad/Stack/Tuple/List (~160); qa-layers: flag/epsilon/activation/initializer option checks, init.Orthogonal, the sample-weight shape check, the 3-D and 1-D transposed conv/pool layers, GELU('tanh'), Hinge/SquaredHinge/Logistic/PoissonNLL/Triplet/CosineEmbedding losses, unknown-option checks (~530); nag's nesterov check (session 7); issue 16's attention, transformer and positional layers: ~550; MXNet's stale gradients, gradReq checks, option errors (~40); np.divide of integers and np.squeeze to [] with numpy's semantics (~40); qa-eager: np's MXNet 2 rules for numbers, take, sum of bool, mean of integers, Block.cast (~110) + import-loop: the hybridized backward differentiates only inputs that need a gradient (~8); mxnet-export: Block._alias and its overrides, export's mxnet overload, the reader's scalar forms from mxnet-ops.ts (~35); dtype-gaps: np's dtype option of sum/prod/cumsum/mean, np.where, np.linspace, 1-D column dtypes through transforms (~115); qa-dtypes: multiPrecision and float16 updates in the Trainer, BatchNorm.cast and Block.cast through children, np's out-of-range integer numbers (~35); strict-opts: unknown options refused in every constructor and function (key lists of the rnn layers/cells, attention, transformer, Parameter, initializers, metrics; ~60); symdim: layers read plainShape(x.shape) while exporting (~15); kwargs: bindArgs, Python's binding of a constructor's positional parameters by name (~125), and every constructor and factory taking them (~190); np.nonzero, np.unique, npx.nonzero; + qa-data: gluon.data.vision.transforms (ToTensor, Normalize, Cast, Compose) and blocks in transform (~150), gluon.metric, MXNet 2's evaluation metrics (~665 in metric/), gluon.utils splitData/splitAndLoad/clipGlobalNorm (~90), the schedules' option and update-count checks (~25), Pad's val per dtype and Dataset columns (~30), MXNet's samplers (SequentialSampler, RandomSampler, BatchSampler, DataLoader's sampler/batchSampler options, ~150), summary's container rule and typed-array columns (~40); + qa-blocks: structure tracking of hybridized blocks, call inputs, ParameterDict.get checks, initializer names, warnings (~270), data.batchify's Pad/Stack/Tuple/List (~160); qa-layers: flag/epsilon/activation/initializer option checks, init.Orthogonal, the sample-weight shape check, the 3-D and 1-D transposed conv/pool layers, GELU('tanh'), Hinge/SquaredHinge/Logistic/PoissonNLL/Triplet/CosineEmbedding losses, unknown-option checks (~530); nag's nesterov check (session 7); issue 16's attention, transformer and positional layers: ~550; MXNet's stale gradients, gradReq checks, option errors (~40); np.divide of integers and np.squeeze to [] with numpy's semantics (~40); qa-eager: np's MXNet 2 rules for numbers, take, sum of bool, mean of integers, Block.cast (~110); qa-d2l: a subclass's forward over an inherited hybridForward runs, super.forward reaches hybridForward (~30), npx.reshape with MXNet 2's codes (~55)
  'compiler/formats': 3135, // merge (23rd): qa-onnxseq's and qa-fuzzmx's additions together; qa-fuzzmx (23rd): .npz members' CRC-32 and the central directory walked by size (npz.ts, ~35), a variable with inputs refused (~2); qa-mxexamples (21st): add_n written (~1); qa-mxfused (21st): fusedCellLayout, legacy FusedRNNCell's per-gate layout of the flat vector (~40), remapRecurrentCalls (a recorded call kept through SymbolBlock's graph copy and replay) and RecurrentCall.prefix (~30); qa-internals (20th): the writer keeps a node's MXNet name, omitNull for unset stride/pad/dilate (~10); qa-module (19th): the training heads' MXNet names (mxnet-ops.ts, ~6); qa-roialign (19th): ROIAlign's MXNet name, an empty .params file is an empty dict (~4); qa-listinput (18th): InputFormat (a call's list nesting) in block-like.ts, export traces with the last call's nesting (~17); qa-calls (16th): export's inputs named null anywhere, exportTrainingStep's too (~10); qa-bert2 (16th): loadParameters refuses a tied parameter's two names holding different arrays (~20); qa-left (15th): export's extensionless path and inputs named null (~15), trace-time constraints and exportTrainingStep's reserved input names (~12); pool-guard: export and exportTrainingStep write the size constraints (~6); mx-cell-docs: zeros whose size MXNet infers, a cell's begin state (mxnet-deferred.ts ~165, mxnet-export.ts ~25); train-multi: exportTrainingStep's lossOutput, chooseLossOutput, all outputs of a nested-output model, parameters the loss does not read left as they are (~30); qa11: exportNames (~10); rnn-export: a recurrent call's zero states of a traced batch written as MXNet's _zeros (~20); migrate-sweep: npx.save of a list or dict as MXNet's file (~12); mxnet-rnn: the writer's fused RNN nodes for recurrent layer calls (mxnet-rnn-export.ts ~165, mxnet-export.ts ~25); mxnet-export: export(path, { format: 'mxnet' }) writing MXNet's -symbol.json/-NNNN.params (mxnet-export.ts ~230), the one MXNet operator table both ways (mxnet-ops.ts ~170), MXNet 1.x block names (~55); mxwrite: writing MXNet's files (nd.save's NDArray list, saveParameters' mxnet/npz formats with each version's recurrent names, MXNet 2's fused rnn_param both ways, npx.save/savez/load in array-files.ts, ~420)
  cli: 2100, // merge (24th): the two branches' additions together; qa-onnxseq2 (24th): gluonc import of a file with sequence and optional inputs (a first read of the declared types, the model file's notes, ~45); qa-startup (24th): commands/define.ts, the commands' options and help apart from their modules (loaded when a command runs, so --help loads neither compiler nor runtime; ~15 net); pool-guard: run and bench check the manifest's size constraints (openArtifactFile, ~25)
};

/** The most lines one source file may have. */
export const FILE_CAP = 600;

/** The package's own names, resolved to their entry files. */
const PACKAGE: Record<string, string> = {
  gluonc: 'compiler/gluon/index.ts',
  'gluonc/compiler': 'compiler/index.ts',
  'gluonc/runtime': 'runtime/index.ts',
};

const SOURCES = ['runtime', 'compiler', 'cli'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** The unit (a key of `RANK`) a repository-relative path belongs to, or undefined. */
export function unitOf(path: string, ranks: Record<string, number> = RANK): string | undefined {
  let best: string | undefined;
  for (const k of Object.keys(ranks)) {
    if ((path === k || path.startsWith(`${k}/`)) && (!best || k.length > best.length)) best = k;
  }
  return best;
}

/** An import of one source file: the repository-relative target and whether it is type-only. */
export interface Import {
  from: string;
  to: string;
  spec: string;
  typeOnly: boolean;
}

const STATIC = /(?:^|\n)[ \t]*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]/g;
const BARE = /(?:^|\n)[ \t]*import\s*['"]([^'"]+)['"]/g;
const DYNAMIC = /(await\s+)?\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function target(file: string, spec: string): string | null {
  if (PACKAGE[spec]) return PACKAGE[spec];
  if (!spec.startsWith('.')) return null;
  const p = relative(root, resolve(join(root, file, '..'), spec)).split('\\').join('/');
  return p.replace(/\.js$/, '.ts');
}

/** The imports of a file (relative ones and the package's own names; node: and npm modules left out). */
export function importsOf(file: string, src = readFileSync(join(root, file), 'utf8')): Import[] {
  const out: Import[] = [];
  const add = (spec: string, typeOnly: boolean): void => {
    const to = target(file, spec);
    if (to) out.push({ from: file, to, spec, typeOnly });
  };
  for (const m of src.matchAll(STATIC)) {
    const clause = m[3]!.trim();
    // `import { type A, type B } from` is erased too; `export * from` is not.
    const allTypes = /^\{[^}]*\}$/.test(clause) && clause.slice(1, -1).split(',').map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith('type '));
    add(m[4]!, Boolean(m[2]) || (allTypes && clause !== '{}'));
  }
  for (const m of src.matchAll(BARE)) add(m[1]!, false);
  // `import('x').T` names a type; `await import('x')` loads a module.
  for (const m of src.matchAll(DYNAMIC)) add(m[2]!, !m[1]);
  return out;
}

/** The strongly connected components with more than one member (import cycles). */
export function cycles(edges: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  let n = 0;
  const visit = (v: string): void => {
    index.set(v, n);
    low.set(v, n++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1) out.push(c.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return out;
}

/**
 * Imports allowed against the rules for now, each with the reason. Empty
 * this list, do not grow it.
 */
const PENDING: { from: string; to: string; why: string }[] = [
  // Empty: eager execution moved to compiler/eager/, and engine/ and formats/ know gluon/'s classes through interfaces (issue 13).
];

const pending = (i: Import): boolean => PENDING.some((p) => p.from === i.from && p.to === i.to);

/** Every rule of the layout, as messages (empty when the layout is right). */
export function layoutProblems(sources: string[], read: (f: string) => string = (f) => readFileSync(join(root, f), 'utf8')): string[] {
  const problems: string[] = [];
  const imports = sources.flatMap((f) => importsOf(f, read(f))).filter((i) => !pending(i));
  for (const f of sources) if (unitOf(f) === undefined) problems.push(`${f} is in no layer: give its folder a rank in RANK (test/layout.test.ts)`);
  for (const i of imports) {
    const a = unitOf(i.from);
    const b = unitOf(i.to);
    if (a === undefined || b === undefined) continue;
    if (RANK[b]! > RANK[a]!) problems.push(`${i.from} imports '${i.spec}' (${b}, rank ${RANK[b]}) from a lower layer (${a}, rank ${RANK[a]})`);
  }
  const fileEdges = new Map<string, Set<string>>();
  const unitEdges = new Map<string, Set<string>>();
  const edge = (m: Map<string, Set<string>>, a: string, b: string): void => void (m.get(a) ?? m.set(a, new Set()).get(a)!).add(b);
  for (const i of imports) {
    if (!i.typeOnly) edge(fileEdges, i.from, i.to);
    const a = unitOf(i.from);
    const b = unitOf(i.to);
    if (a !== undefined && b !== undefined && a !== b) edge(unitEdges, a, b);
  }
  for (const c of cycles(fileEdges)) problems.push(`files importing each other: ${c.join(' <-> ')}`);
  for (const c of cycles(unitEdges)) problems.push(`folders importing each other: ${c.join(' <-> ')}`);
  const lines = new Map<string, number>();
  for (const f of sources) {
    const n = read(f).split('\n').length - 1;
    if (n > FILE_CAP) problems.push(`${f} has ${n} lines (at most ${FILE_CAP}): split it by purpose`);
    const u = unitOf(f);
    if (u !== undefined) lines.set(u, (lines.get(u) ?? 0) + n);
  }
  for (const [u, n] of lines) {
    if (BUDGET[u] !== undefined && n > BUDGET[u]) problems.push(`${u} holds ${n} lines, over its budget of ${BUDGET[u]} (BUDGET in test/layout.test.ts)`);
  }
  return problems;
}

function sourceFiles(): string[] {
  return SOURCES.flatMap((d) => files(join(root, d))).map((f) => relative(root, f).split('\\').join('/'));
}

describe('layout', () => {
  it('every import points to an equal or lower layer, with no cycles between files or folders, and sizes within budget', () => {
    const problems = layoutProblems(sourceFiles());
    assert.deepEqual(problems, [], `\n${problems.join('\n')}`);
  });

  it('every pending exception still exists (a fixed one must leave PENDING)', () => {
    const all = sourceFiles().flatMap((f) => importsOf(f));
    const stale = PENDING.filter((p) => !all.some((i) => i.from === p.from && i.to === p.to)).map((p) => `${p.from} no longer imports ${p.to}: remove it from PENDING`);
    assert.deepEqual(stale, [], `\n${stale.join('\n')}`);
  });

  describe('the checker itself', () => {
    const at = (files: Record<string, string>) => layoutProblems(Object.keys(files), (f) => files[f]!);

    it('flags an import from a lower layer into a higher one', () => {
      assert.match(at({ 'compiler/ir/a.ts': "import { x } from '../ops/b.js';", 'compiler/ops/b.ts': 'export const x = 1;' }).join('\n'), /compiler\/ir\/a\.ts imports '\.\.\/ops\/b\.js' \(compiler\/ops, rank 2\) from a lower layer/);
      assert.match(at({ 'runtime/a.ts': "import { nd } from 'gluonc';", 'compiler/gluon/index.ts': '' }).join('\n'), /runtime\/a\.ts imports 'gluonc'/);
    });

    it('flags a type import from a lower layer too', () => {
      assert.match(at({ 'compiler/ir/a.ts': "import type { X } from '../trace/b.js';", 'compiler/trace/b.ts': '' }).join('\n'), /from a lower layer/);
    });

    it('flags a cycle of value imports between files, not one of type imports', () => {
      const value = at({ 'compiler/ops/a.ts': "import { b } from './b.js';", 'compiler/ops/b.ts': "import { a } from './a.js';" });
      assert.deepEqual(value, ['files importing each other: compiler/ops/a.ts <-> compiler/ops/b.ts']);
      assert.deepEqual(at({ 'compiler/ops/a.ts': "import type { B } from './b.js';", 'compiler/ops/b.ts': "import { a } from './a.js';" }), []);
      assert.deepEqual(at({ 'compiler/ops/a.ts': "import { type B } from './b.js';", 'compiler/ops/b.ts': "import { a } from './a.js';" }), []);
    });

    it('flags two folders of one rank importing each other', () => {
      const p = at({ 'compiler/passes/a.ts': "import type { B } from '../autodiff/b.js';", 'compiler/autodiff/b.ts': "import type { A } from '../passes/a.js';" });
      assert.deepEqual(p, ['folders importing each other: compiler/autodiff <-> compiler/passes']);
    });

    it('flags a file in no layer, a file over the cap and a folder over its budget', () => {
      assert.match(at({ 'compiler/widgets/a.ts': '' }).join('\n'), /compiler\/widgets\/a\.ts is in no layer/);
      assert.match(at({ 'compiler/trace/a.ts': 'x\n'.repeat(FILE_CAP + 1) }).join('\n'), /has 601 lines/);
      const many = Object.fromEntries(Array.from({ length: 2 }, (_x, i) => [`compiler/ir/f${i}.ts`, 'x\n'.repeat(BUDGET['compiler/ir']! / 2 + 1)]));
      assert.match(at(many).join('\n'), /compiler\/ir holds 602 lines, over its budget of 600/);
    });
  });
});
