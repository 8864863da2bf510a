# Runs a sample for a smoke test and prints, for the test's PASS_REGULAR_EXPRESSION:
#   <its stdout>
#   --- stderr ---
#   <its stderr>
#   --- exit status <N> ---
# so that a test can check the output, the stream it went to, and the exit status at once.
# Usage: cmake -P run_sample.cmake -- <sample> [args...]   (no `;` in the arguments:
# cmake would split them there)
# (after `--`, cmake leaves the arguments alone: `--help` is the sample's, not cmake's)
set(command "")
set(after_dashes FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE 1 ${last})
  if(after_dashes)
    list(APPEND command "${CMAKE_ARGV${i}}")
  elseif(CMAKE_ARGV${i} STREQUAL "--")
    set(after_dashes TRUE)
  endif()
endforeach()
execute_process(COMMAND ${command} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc
                TIMEOUT 100)
# message() writes to stderr; ctest reads stdout and stderr as one stream, in order.
message("${out}--- stderr ---\n${err}--- exit status ${rc} ---")
