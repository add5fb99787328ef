# Golden test: run a cevm command and compare its merged stdout+stderr and its exit status
# with the expected ones.
#   cmake -DCMD="<shell command>" -DEXPECTED=<file> -DEXIT=<status> -P golden.cmake
execute_process(COMMAND sh -c "${CMD} 2>&1" OUTPUT_VARIABLE out RESULT_VARIABLE rc)
file(READ ${EXPECTED} want)
if(NOT rc STREQUAL EXIT)
  message(FATAL_ERROR "exit status ${rc}, expected ${EXIT}\n--- output:\n${out}")
endif()
if(NOT out STREQUAL want)
  string(RANDOM LENGTH 8 tag)
  set(got "${CMAKE_CURRENT_BINARY_DIR}/golden-${tag}.out")
  file(WRITE ${got} "${out}")
  execute_process(COMMAND diff -u ${EXPECTED} ${got} OUTPUT_VARIABLE d)
  file(REMOVE ${got})
  message(FATAL_ERROR "output differs from ${EXPECTED}:\n${d}")
endif()
