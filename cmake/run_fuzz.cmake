# Runs one libFuzzer target (ctest -L fuzz) for a fixed time over a copy of its
# seed corpus, so that the source tree is never written to; what libFuzzer
# finds stays in WORK/corpus for the next run. Fails on a crash, a leak, a
# sanitizer report, a broken invariant (abort), a timeout or running out of
# memory; the input is then in WORK/artifacts/.
#   cmake -DFUZZER=path -DSEEDS=dir -DWORK=dir -P run_fuzz.cmake
# Seconds: the environment variable LIFELINE_FUZZ_SECONDS, 15 by default.
set(seconds 15)
if(DEFINED ENV{LIFELINE_FUZZ_SECONDS})
  set(seconds $ENV{LIFELINE_FUZZ_SECONDS})
endif()
if(NOT seconds MATCHES "^[0-9]+$" OR seconds EQUAL 0)
  message(FATAL_ERROR "LIFELINE_FUZZ_SECONDS must be a whole number of seconds above 0, not '${seconds}'")
endif()
file(MAKE_DIRECTORY ${WORK}/corpus ${WORK}/artifacts)
file(COPY ${SEEDS}/ DESTINATION ${WORK}/corpus)
execute_process(
  COMMAND ${FUZZER} -max_total_time=${seconds} -rss_limit_mb=2048 -timeout=10
          -print_final_stats=1 -artifact_prefix=${WORK}/artifacts/ ${WORK}/corpus
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "fuzz: ${FUZZER} failed (${rc}); the input is in ${WORK}/artifacts/, "
                      "replay it with the same executable and the file as its argument")
endif()
