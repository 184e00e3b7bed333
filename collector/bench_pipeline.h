/*
 * bench_pipeline: `lifeline bench-pipeline -c FILE`, the in-process benchmark
 * of what Lifeline does per reading between the write-ahead log and the
 * database: decode + registry + validate + line protocol encode, and
 * separately the gzip of the batches. Not listed in `lifeline --help` (it is
 * a tool for developers, documented in docs/performance.md); scripts/bench
 * runs it.
 *
 * For each payload format (json, alink, hj212) it makes `--messages` readings
 * with the simulator's own models and encoders (collector/sim*.c, from
 * `--devices` devices, fault free), keeps them in memory as WAL records, and
 * then times `--rounds` passes over them: one with the decoder alone
 * (dispatch_decode) and one through the pipeline's own per-record code
 * (pipeline_bench_process), whose full batches are gzip'd as the writer
 * does (timed apart). Each pass starts with a fresh pipeline, so that the
 * duplicate check sees every reading once. The best round is reported, in
 * nanoseconds per reading, one line per format:
 *
 *   format=json messages=200000 bytes_per_msg=143.2 decode_ns=812.3 pipeline_ns=1403.9
 *   gzip_ns=120.5 lines=200000 refused=0
 *
 * (one line each; `refused` must be 0: the readings are clean.)
 */
#ifndef LIFELINE_BENCH_PIPELINE_H
#define LIFELINE_BENCH_PIPELINE_H

/* The subcommand; argv[0] is "bench-pipeline". Exit status: 0, 1 on error, 2 on usage. */
int bench_pipeline_main(int argc, char **argv);

#endif
